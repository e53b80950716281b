"""Passwords as people handle them: changed from the settings, after which
the new one logs in and the old one does not, and the other browser is
signed out at once; forgotten, and reset from the login page by a link the
worker emails to a real SMTP server."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, LOOKS, assert_accessible, open_room
from e2e.test_email import confirmed, wait_for_tasks

NEW_PASSWORD = "a-fresh-pass-4321"


def log_in(context, username, password):
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    return page


@pytest.mark.parametrize("look", ["desktop", "dark"])
def test_changing_the_password_keeps_this_browser_and_signs_out_the_other(server, make_user, sign_in, browser, look):
    make_user("alice")
    laptop, phone = sign_in("alice", **LOOKS[look]), sign_in("alice", **LOOKS["phone"])
    on_phone = open_room(phone)
    page = laptop.new_page()
    page.goto("/")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Change password").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    assert_accessible(page, f"change password ({look})")
    page.get_by_label("Old password").fill("pw-alice-e2e")
    page.locator("input[name=new_password1]").fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    assert_accessible(page, f"password changed ({look})")

    # The phone's open room closes at once; this browser stays in.
    expect(on_phone.locator("#chat-errors")).to_contain_text("signed out", timeout=LIVE_TIMEOUT_MS)
    page.goto("/")
    expect(page.locator(".whoami")).to_have_text("Signed in as alice")

    stranger = browser.new_context(base_url=server.url)
    try:
        old = log_in(stranger, "alice", "pw-alice-e2e")
        expect(old.locator(".errorlist")).to_contain_text("enter a correct username and password")
        new = log_in(stranger, "alice", NEW_PASSWORD)
        expect(new).to_have_url(f"{server.url}/")
    finally:
        stranger.close()


def test_a_forgotten_password_is_reset_by_the_link_emailed_through_the_worker(
    server_with, worker_with, private_redis, smtp_server, make_user, browser
):
    srv = server_with(EMAIL_URL=smtp_server.url)
    worker = worker_with(REDIS_URL=private_redis.url, CHAT_BASE_URL=srv.url, EMAIL_URL=smtp_server.url)
    confirmed(make_user("erin", email="erin@example.com"), "erin@example.com")
    context = browser.new_context(base_url=srv.url, **LOOKS["phone"])
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_role("link", name="Forgot your password?").click()
        # Scanned once the new page is there, not the login page it leaves.
        expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
        assert_accessible(page, "forgot your password (phone)")
        page.get_by_label("Email").fill("erin@example.com")
        page.get_by_role("button", name="Email me a link").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        wait_for_tasks(worker, srv, task="accounts.passwords.email_password_reset")

        [email] = smtp_server.messages()
        assert email["To"] == "erin@example.com"
        [link] = re.findall(
            rf"{re.escape(srv.url)}/accounts/password/reset/\S+/\S+/", email.get_body(("plain",)).get_content()
        )
        page.goto(link)
        expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
        assert_accessible(page, "set a new password (phone)")
        page.locator("input[name=new_password1]").fill(NEW_PASSWORD)
        page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set password").click()
        expect(page.get_by_role("heading", name="Password set")).to_be_visible()
        page.locator("main").get_by_role("link", name="Log in").click()
        page.get_by_label("Username").fill("erin")
        page.get_by_label("Password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{srv.url}/")
        # The link worked once.
        page.goto(link)
        expect(page.get_by_role("heading", name="Link no longer valid")).to_be_visible()
    finally:
        context.close()
