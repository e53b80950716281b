"""The room list follows the admin live: on / and in room pages' sidebars, for every signed-in user."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, admin_room_action, open_room


def open_list(context):
    """A new tab on /, its socket open."""
    page = context.new_page()
    page.goto("/")
    page.wait_for_selector('#rooms[data-ws="open"]', timeout=10_000)
    return page


def names(page):
    return page.locator("#room-list .room-name")


def entry(page, name):
    return page.locator("#room-list .room-entry", has=page.locator(".room-name", has_text=f"# {name}"))


@pytest.fixture
def alice(make_user, sign_in):
    """Alice's room page (sidebar) and her / page, both live."""
    make_user("alice")
    context = sign_in("alice")
    return [open_room(context), open_list(context)]


def save_room(staff):
    staff.click("input[name=_save]")
    expect(staff.locator(".messagelist")).to_contain_text("successfully")


def test_room_created_in_the_admin_appears_in_every_list(staff, alice):
    for page in alice:
        expect(names(page)).to_have_text(["# Lobby"])
    staff.goto("/admin/rooms/room/add/")
    staff.locator("#id_name").press_sequentially("Design")  # the slug follows as staff type
    expect(staff.locator("#id_slug")).to_have_value("design")
    staff.fill("#id_topic", "Pixels and fonts")
    save_room(staff)
    for page in alice:
        # In name order, like a fresh page.
        expect(names(page)).to_have_text(["# Design", "# Lobby"], timeout=LIVE_TIMEOUT_MS)
    _room_page, list_page = alice
    expect(entry(list_page, "Design").locator(".room-topic")).to_have_text("Pixels and fonts")
    entry(list_page, "Design").locator("a").click()
    expect(list_page.locator("#room h1")).to_have_text("# Design")


def test_renaming_in_the_admin_changes_the_entry_and_its_link(staff, alice):
    from rooms.models import Room

    lobby = Room.objects.get(slug="lobby")
    staff.goto(f"/admin/rooms/room/{lobby.pk}/change/")
    staff.fill("#id_name", "Town square")
    staff.fill("#id_slug", "town-square")
    save_room(staff)
    for page in alice:
        expect(names(page)).to_have_text(["# Town square"], timeout=LIVE_TIMEOUT_MS)
        expect(entry(page, "Town square").locator("a")).to_have_attribute("href", "/rooms/town-square/")
    # The open room is still marked as the current one.
    expect(entry(alice[0], "Town square").locator("a")).to_have_attribute("aria-current", "page")


def test_archiving_and_unarchiving_in_the_admin_marks_the_entry(staff, alice):
    admin_room_action(staff, "archive")
    expect(staff.locator(".messagelist")).to_contain_text("1 room archived")
    for page in alice:
        expect(entry(page, "Lobby").locator(".badge")).to_have_text("archived", timeout=LIVE_TIMEOUT_MS)
    admin_room_action(staff, "unarchive")
    for page in alice:
        expect(entry(page, "Lobby").locator(".badge")).to_have_count(0, timeout=LIVE_TIMEOUT_MS)


def test_room_made_private_disappears_for_non_members_only(staff, alice, make_user, sign_in):
    from rooms.models import Room

    make_user("bob")
    bob_context = sign_in("bob")
    bob = [open_room(bob_context), open_list(bob_context)]
    plans = Room.objects.create(name="Plans", slug="plans")
    for page in alice + bob:
        page.reload()
        expect(names(page)).to_have_text(["# Lobby", "# Plans"])

    staff.goto(f"/admin/rooms/room/{plans.pk}/change/")
    staff.check("#id_is_private")
    staff.select_option("#id_members_from", label="alice")
    staff.click("#id_members_add")
    save_room(staff)

    for page in bob:
        expect(names(page)).to_have_text(["# Lobby"], timeout=LIVE_TIMEOUT_MS)
    for page in alice:
        expect(entry(page, "Plans").locator(".badge")).to_have_text("private", timeout=LIVE_TIMEOUT_MS)
        expect(names(page)).to_have_text(["# Lobby", "# Plans"])

    # Alice talks there while it is private; made public again, it is back
    # for bob without a reload, with what he has not read counted.
    from django.contrib.auth import get_user_model

    from rooms.models import Message

    for text in ("members only", "still members only"):
        Message.objects.create(room=plans, author=get_user_model().objects.get(username="alice"), text=text)
    staff.goto(f"/admin/rooms/room/{plans.pk}/change/")
    staff.uncheck("#id_is_private")
    save_room(staff)
    for page in bob:
        expect(names(page)).to_have_text(["# Lobby", "# Plans"], timeout=LIVE_TIMEOUT_MS)
        # Requests for the counts are spread over two seconds.
        expect(entry(page, "Plans").locator(".unread-count")).to_have_text("2 unread", timeout=LIVE_TIMEOUT_MS + 2000)


def test_room_deleted_in_the_admin_leaves_every_list(staff, alice):
    from rooms.models import Room

    doomed = Room.objects.create(name="Doomed", slug="doomed")
    for page in alice:
        page.reload()
        expect(names(page)).to_have_text(["# Doomed", "# Lobby"])
    staff.goto(f"/admin/rooms/room/{doomed.pk}/delete/")
    staff.click("input[type=submit]")  # "Yes, I'm sure"
    expect(staff.locator(".messagelist")).to_contain_text("deleted successfully")
    for page in alice:
        expect(names(page)).to_have_text(["# Lobby"], timeout=LIVE_TIMEOUT_MS)


def test_admin_changes_reach_users_on_another_process(make_user, cluster, sign_in):
    one, two = cluster
    make_user("staff", is_staff=True, is_superuser=True)
    make_user("alice")
    staff = sign_in("staff", two).new_page()
    alice_context = sign_in("alice", one)
    alice = [open_room(alice_context), open_list(alice_context)]

    staff.goto("/admin/rooms/room/add/")
    staff.fill("#id_name", "Elsewhere")
    staff.fill("#id_slug", "elsewhere")
    save_room(staff)
    for page in alice:
        expect(names(page)).to_have_text(["# Elsewhere", "# Lobby"], timeout=LIVE_TIMEOUT_MS)

    from rooms.models import Room

    elsewhere = Room.objects.get(name="Elsewhere")
    staff.goto(f"/admin/rooms/room/{elsewhere.pk}/change/")
    staff.check("#id_is_private")
    save_room(staff)
    for page in alice:
        expect(names(page)).to_have_text(["# Lobby"], timeout=LIVE_TIMEOUT_MS)


def test_small_screens_list_rooms_on_the_front_page_not_beside_the_room(make_user, browser, server):
    make_user("alice")
    context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        page.goto("/accounts/login/?next=/rooms/lobby/")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "pw-alice-e2e")
        page.click("button[type=submit]")
        expect(page.locator("#room")).to_have_attribute("data-ws", "open", timeout=10_000)
        expect(page.locator(".sidebar")).to_be_hidden()
        expect(page.locator("#messages")).to_be_visible()
        page.goto("/")
        expect(names(page)).to_have_text(["# Lobby"])
        expect(page.locator("#room-list")).to_be_visible()
    finally:
        context.close()
