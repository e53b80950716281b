"""Getting in, as newcomers and staff do it: the first run, invitations, a
refused sign-up, logging in and out, and the login lockout."""

import datetime
import re

from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, assert_accessible, fill_signup, message_with, open_room, send


def test_the_first_visit_creates_the_first_staff_account(browser, server):
    from django.contrib.auth import get_user_model

    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    page.goto("/")
    expect(page).to_have_url(f"{server.url}/accounts/first-run/")
    expect(page.locator("h1")).to_have_text("Welcome to your new chat")
    fill_signup(page, "founder")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.url}/")
    expect(page.locator(".whoami")).to_have_text("Signed in as founder")
    expect(page.locator("#invite-people")).to_be_visible()
    founder = get_user_model().objects.get()
    assert founder.username == "founder" and founder.is_staff and founder.is_superuser
    # Gone once used: the page and its form create nobody else.
    assert page.goto("/accounts/first-run/").status == 404
    context.close()


def test_joining_by_an_invitation_that_staff_made_on_the_room_list(make_user, sign_in, browser, server):
    make_user("staff", is_staff=True)
    staff_context = sign_in("staff")
    staff_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    staff = staff_context.new_page()
    staff.goto("/")
    staff.click("#invite-people")
    link = staff.locator("#invite-link")
    expect(link).to_have_value(re.compile(rf"^{re.escape(server.url)}/accounts/join/[\w-]{{32,}}/$"))
    url = link.input_value()
    staff.click("#copy-invite-link")
    expect(staff.locator(".copy-status")).to_have_text("Link copied.")
    assert staff.evaluate("navigator.clipboard.readText()") == url

    newcomer = browser.new_context(base_url=server.url)
    page = newcomer.new_page()
    page.goto(url)
    expect(page.locator(".form-intro")).to_contain_text("You have been invited by staff")
    fill_signup(page, "newcomer")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.url}/")
    room = open_room(newcomer)
    send(room, "hi all, I'm new")
    expect(message_with(room, "hi all, I'm new")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(room.locator("#messages .message-author")).to_have_text(["newcomer"])
    # The link was for one person: the next one is told so.
    newcomer.close()
    late = browser.new_context(base_url=server.url).new_page()
    assert late.goto(url).status == 410
    expect(late.locator("h1")).to_have_text("Invitation no longer valid")
    late.context.close()


def test_a_plain_signup_explains_an_invitation_is_needed(make_user, browser, server):
    from django.contrib.auth import get_user_model

    make_user("alice")
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    page.goto("/rooms/lobby/")
    expect(page).to_have_url(f"{server.url}/accounts/login/?next=/rooms/lobby/")
    expect(page.get_by_role("link", name="Create an account")).to_have_count(0)
    expect(page.get_by_role("link", name="Sign up")).to_have_count(0)
    response = page.goto("/accounts/signup/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("An invitation is needed")
    expect(page.locator("input[name=password1]")).to_have_count(0)
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["alice"]
    context.close()


def test_room_list_links_to_rooms_and_logout_signs_out(make_user, sign_in, server):
    make_user("alice")
    context = sign_in("alice")
    page = context.new_page()
    page.goto("/")
    page.click("text=# Lobby")
    expect(page).to_have_url(f"{server.url}/rooms/lobby/")
    page.click("text=Log out")
    expect(page).to_have_url(f"{server.url}/accounts/login/")
    page.goto("/rooms/lobby/")
    expect(page).to_have_url(f"{server.url}/accounts/login/?next=/rooms/lobby/")


def test_private_room_is_not_found_for_outsiders(make_user, sign_in):
    from rooms.models import Room

    alice = make_user("alice")
    make_user("bob")
    Room.objects.create(name="Secret", slug="secret", is_private=True).members.add(alice)
    page = sign_in("bob").new_page()
    response = page.goto("/rooms/secret/")
    assert response.status == 404
    member_page = open_room(sign_in("alice"), "secret")
    expect(member_page.locator("h1")).to_have_text("# Secret")


def test_five_wrong_passwords_lock_the_login_with_a_time_to_come_back(make_user, browser, strict_server):
    make_user("alice")
    context = browser.new_context(base_url=strict_server.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    for _ in range(5):
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "not her password")
        page.click("button[type=submit]")
        expect(page.locator(".errorlist")).to_be_visible()
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "pw-alice-e2e")  # the right one, too late
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("button[type=submit]")
    assert answer.value.status == 429
    expect(page.locator("h1")).to_have_text("Too many attempts")
    when = page.locator("#throttled time")
    expect(when).to_have_text(re.compile(r"^\d\d:\d\d UTC$"))
    until = datetime.datetime.fromisoformat(when.get_attribute("datetime"))
    wait = until - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(minutes=14) < wait <= datetime.timedelta(minutes=15), wait
    assert_accessible(page, "login lockout (429)")
    # Still signed out.
    page.goto("/rooms/lobby/")
    expect(page).to_have_url(f"{strict_server.url}/accounts/login/?next=/rooms/lobby/")
    context.close()
