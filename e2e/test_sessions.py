"""An open page never outlives the session that opened it (docs/security.md)."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, open_room, send


def test_a_page_logged_out_elsewhere_closes_and_says_so(make_user, sign_in):
    make_user("alice")
    make_user("bob")
    laptop = sign_in("alice")
    room = open_room(laptop)
    phone_room = open_room(sign_in("alice"))  # another session of hers stays
    other_tab = laptop.new_page()
    other_tab.goto("/")
    other_tab.click("text=Log out")
    expect(room.locator("#room")).to_have_attribute("data-ws", "closed", timeout=LIVE_TIMEOUT_MS)
    expect(room.locator("#room")).to_have_attribute("data-close-code", "4401")
    expect(room.locator("#connection")).to_contain_text("signed out")
    expect(room.locator("#chat-errors")).to_contain_text("signed out")
    expect(room.locator("#message-form")).to_have_count(0)
    # The other session's page goes on.
    send(phone_room, "still here on my phone")
    expect(phone_room.locator("#messages .message-body")).to_have_text(["still here on my phone"])


def test_a_user_deactivated_in_the_admin_sees_their_pages_close(make_user, sign_in, staff):
    alice = make_user("alice")
    room = open_room(sign_in("alice"))
    staff.goto(f"/admin/auth/user/{alice.pk}/change/")
    staff.uncheck("input[name=is_active]")
    staff.click("input[name=_save]")
    expect(staff.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(room.locator("#room")).to_have_attribute("data-close-code", "4401", timeout=LIVE_TIMEOUT_MS)
    expect(room.locator("#message-form")).to_have_count(0)


@pytest.fixture
def two_tabs_each(server_with):
    return server_with(CHAT_MAX_SOCKETS_PER_USER="2")


def test_one_tab_too_many_is_refused_and_says_why(make_user, sign_in, two_tabs_each):
    make_user("alice")
    context = sign_in("alice", server=two_tabs_each)
    first, _ = open_room(context), open_room(context)
    third = context.new_page()
    third.goto("/rooms/lobby/")
    expect(third.locator("#room")).to_have_attribute("data-close-code", "4429", timeout=LIVE_TIMEOUT_MS)
    expect(third.locator("#connection")).to_contain_text("Too many chat tabs")
    expect(third.locator("#chat-errors")).to_contain_text("too many chat tabs")
    # Closing a tab frees its place.
    first.close()
    third.reload()
    expect(third.locator("#room")).to_have_attribute("data-ws", "open", timeout=10_000)
