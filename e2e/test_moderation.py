"""Staff act in the admin; every open page follows within 2 s."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, admin_room_action, bodies, message_with, open_room, send


@pytest.fixture
def alice(make_user, sign_in):
    make_user("alice")
    return open_room(sign_in("alice"))


def test_deleting_a_message_in_the_admin_removes_it_from_open_pages(staff, alice, make_user, sign_in):
    make_user("bob")
    bob = open_room(sign_in("bob"))
    send(alice, "keep this")
    send(alice, "spam spam spam")
    expect(bodies(bob)).to_have_text(["keep this", "spam spam spam"], timeout=LIVE_TIMEOUT_MS)

    staff.goto("/admin/rooms/message/?q=spam")
    staff.locator("#result_list tbody tr", has_text="spam spam spam").locator("th a").click()
    staff.click("a.deletelink")  # not the files inline's "Delete?" column
    staff.click("input[type=submit]")  # "Yes, I'm sure"
    expect(staff.locator(".messagelist")).to_contain_text("deleted successfully")
    for page in (alice, bob):
        expect(bodies(page)).to_have_text(["keep this"], timeout=LIVE_TIMEOUT_MS)


def test_archiving_in_the_admin_makes_open_pages_read_only(staff, alice):
    admin_room_action(staff, "archive")
    expect(staff.locator(".messagelist")).to_contain_text("1 room archived")
    expect(alice.locator("#message-form")).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    expect(alice.locator(".archived-note")).to_be_visible()


def test_unarchiving_brings_a_working_composer_back(staff, alice):
    from rooms.models import Room

    Room.objects.get(slug="lobby").set_archived(True)
    expect(alice.locator("#message-form")).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    admin_room_action(staff, "unarchive")
    expect(alice.locator("#message-form")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    send(alice, "open again")
    expect(message_with(alice, "open again")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)


def test_removing_a_member_closes_their_page(staff, make_user, sign_in):
    from rooms.models import Room

    alice_user = make_user("alice")
    bob_user = make_user("bob")
    room = Room.objects.create(name="Secret", slug="secret", is_private=True)
    room.members.add(alice_user, bob_user)
    alice = open_room(sign_in("alice"), "secret")
    bob = open_room(sign_in("bob"), "secret")
    expect(alice.locator("#presence li")).to_have_text(["alice", "bob"], timeout=LIVE_TIMEOUT_MS)

    staff.goto(f"/admin/rooms/room/{room.pk}/change/")
    staff.select_option("#id_members_to", label="bob")
    staff.click("#id_members_remove")
    staff.click("input[name=_save]")
    expect(staff.locator(".messagelist")).to_contain_text("was changed successfully")

    expect(bob.locator("#chat-errors")).to_contain_text("no longer have access", timeout=LIVE_TIMEOUT_MS)
    expect(bob.locator("#room")).to_have_attribute("data-ws", "closed")
    expect(bob.locator("#room")).to_have_attribute("data-close-code", "4404")
    expect(bob.locator("#message-form")).to_have_count(0)
    expect(alice.locator("#presence li")).to_have_text(["alice"], timeout=LIVE_TIMEOUT_MS)
    expect(alice.locator("#room")).to_have_attribute("data-ws", "open")


def test_deleting_a_room_closes_its_pages(staff, alice):
    staff.goto("/admin/rooms/room/")
    staff.click("#result_list a:text('Lobby')")
    staff.click("a.deletelink")  # not the files inline's "Delete?" column
    staff.click("input[type=submit]")
    expect(staff.locator(".messagelist")).to_contain_text("deleted successfully")
    expect(alice.locator("#chat-errors")).to_contain_text("has been deleted", timeout=LIVE_TIMEOUT_MS)
    expect(alice.locator("#room")).to_have_attribute("data-ws", "closed")
