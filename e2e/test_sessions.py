"""An open page never outlives the session that opened it (SPEC section 9)."""

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
