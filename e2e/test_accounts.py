"""Signing up, logging in and out, as a newcomer does it."""

from playwright.sync_api import expect

from e2e.conftest import open_room


def test_signup_then_chat_in_the_lobby(browser, server):
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    page.goto("/rooms/lobby/")
    expect(page).to_have_url(f"{server.url}/accounts/login/?next=/rooms/lobby/")
    page.click("text=Create an account")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=password1]", "a-good-long-password-1")
    page.fill("input[name=password2]", "a-good-long-password-1")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.url}/rooms/lobby/")
    expect(page.locator("#room")).to_have_attribute("data-ws", "open")
    page.fill("#message-form [name=message]", "hi all, I'm new")
    page.press("#message-form [name=message]", "Enter")
    expect(page.locator("#messages .message-author")).to_have_text(["newcomer"])
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
