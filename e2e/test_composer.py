"""The message box as a team uses it all day: lines with Shift+Enter, a
pasted list that stays a list, a box that grows, and a long text counted,
refused and kept instead of cut. An edit's box behaves the same."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, bodies, message_with, open_room, send

BOX = "#message-form [name=message]"
LIMIT = 2000  # CHAT_MAX_MESSAGE_LENGTH's default, as the session's server runs


@pytest.fixture
def alice_and_bob(make_user, sign_in):
    make_user("alice")
    make_user("bob")
    return open_room(sign_in("alice")), open_room(sign_in("bob"))


def paste(page, text):
    """Puts `text` on the clipboard and pastes it with the keyboard, as a person does."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    page.keyboard.press("Control+V")


def test_shift_enter_makes_new_lines_and_enter_sends_them_as_one_message(alice_and_bob):
    alice, bob = alice_and_bob
    box = alice.locator(BOX)
    expect(box).to_have_js_property("tagName", "TEXTAREA")
    one_line = box.evaluate("el => el.offsetHeight")
    box.press_sequentially("Plan for today:")
    for item in ("- review the release", "- deploy at 3"):
        box.press("Shift+Enter")
        box.press_sequentially(item)
    expect(box).to_have_value("Plan for today:\n- review the release\n- deploy at 3")
    assert box.evaluate("el => el.offsetHeight") > one_line, "the box grows with its lines"
    expect(alice.locator("#messages .message")).to_have_count(0)

    box.press("Enter")
    body = message_with(bob, "Plan for today:").locator(".message-body")
    expect(body.locator("ul li")).to_have_text(["review the release", "deploy at 3"], timeout=LIVE_TIMEOUT_MS)
    expect(box).to_have_value("")
    assert box.evaluate("el => el.offsetHeight") == one_line, "and shrinks back once sent"
    expect(bodies(bob)).to_have_count(1)


def test_a_pasted_list_keeps_its_lines_and_arrives_as_a_list(alice_and_bob):
    alice, bob = alice_and_bob
    steps = "Release steps:\n1. freeze main\n2. run the smoke suite\n3. deploy\n```\nmake deploy ENV=prod\n```"
    alice.locator(BOX).focus()
    paste(alice, steps)
    expect(alice.locator(BOX)).to_have_value(steps)
    alice.locator(BOX).press("Enter")
    body = message_with(bob, "Release steps:").locator(".message-body")
    expect(body.locator("ol li")).to_have_text(
        ["freeze main", "run the smoke suite", "deploy"], timeout=LIVE_TIMEOUT_MS
    )
    expect(body.locator("pre code")).to_have_text("make deploy ENV=prod")
    # Saved line for line as pasted: the server counts what the box counted.
    from rooms.models import Message

    assert Message.objects.get().text == steps


def test_the_box_grows_to_a_few_lines_then_scrolls(alice_and_bob):
    alice, _ = alice_and_bob
    box = alice.locator(BOX)
    box.fill("\n".join(f"line {n}" for n in range(3)))
    three_lines = box.evaluate("el => el.offsetHeight")
    box.fill("\n".join(f"line {n}" for n in range(40)))
    tall = box.evaluate("el => [el.offsetHeight, el.clientHeight, el.scrollHeight]")
    assert three_lines < tall[0] <= alice.viewport_size["height"] * 0.4, tall
    assert tall[2] > tall[1], "past its largest size the box scrolls"
    # The history keeps most of the screen.
    assert alice.locator("#messages").evaluate("el => el.clientHeight") > tall[0]


def test_a_long_paste_is_counted_refused_and_kept_never_cut(alice_and_bob):
    alice, bob = alice_and_bob
    box = alice.locator(BOX)
    counter = alice.locator("#message-input-length")
    said = alice.locator("#message-form .length-said")
    expect(counter).to_be_hidden()

    near = "x" * (LIMIT - 150)
    box.fill(near)
    expect(counter).to_have_text("150 characters left")
    expect(said).to_have_text("150 characters left.")
    box.press_sequentially("yy")
    expect(counter).to_have_text("148 characters left")
    expect(said).to_have_text("150 characters left.")  # not at every keystroke

    box.fill("")
    long_text = "A long log to share:\n" + "0123456789" * 208  # 2,101 characters
    box.focus()
    paste(alice, long_text)
    expect(box).to_have_value(long_text)  # nothing cut
    expect(counter).to_have_text("101 characters over the limit of 2000")
    expect(said).to_have_text("Over the limit of 2000 characters.")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_attribute("aria-describedby", "message-input-length")

    box.press("Enter")
    expect(alice.locator("#chat-errors")).to_have_text(
        "Messages are limited to 2000 characters (this one has 2101): shorten it, or send it in parts."
    )
    expect(box).to_have_value(long_text)
    expect(box).to_be_focused()
    alice.locator("#message-form button[type=submit]").click()
    expect(box).to_have_value(long_text)
    expect(alice.locator("#messages .pending-message, #messages .message")).to_have_count(0)

    # Shortened, it goes.
    box.press("End")
    for _ in range(101):
        box.press("Backspace")
    expect(counter).to_have_text("0 characters left")
    expect(said).to_have_text("Back within the limit: 0 characters left.")
    box.press("Enter")
    expect(message_with(bob, "A long log to share:")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(counter).to_be_hidden()
    expect(alice.locator("#chat-errors")).to_be_empty()


def test_enter_that_ends_an_input_method_composition_does_not_send(alice_and_bob):
    alice, _ = alice_and_bob
    box = alice.locator(BOX)
    box.fill("にほん")
    # The Enter a Japanese (or Chinese, Korean...) input method uses to
    # accept the text it composed, as the browser reports it.
    box.dispatch_event("keydown", {"key": "Enter", "keyCode": 229, "isComposing": True, "bubbles": True})
    box.dispatch_event("keydown", {"key": "Enter", "isComposing": True, "bubbles": True})
    expect(box).to_have_value("にほん")
    expect(alice.locator("#messages .pending-message, #messages .message")).to_have_count(0)
    box.press("Enter")
    expect(message_with(alice, "にほん")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)


def test_only_spaces_and_lines_send_nothing(alice_and_bob):
    alice, _ = alice_and_bob
    box = alice.locator(BOX)
    box.fill("  \n  ")
    box.press("Enter")
    expect(alice.locator("#chat-errors")).to_have_text("Type a message before sending.")
    expect(alice.locator("#messages .pending-message, #messages .message")).to_have_count(0)


def test_an_edit_takes_new_lines_and_is_refused_over_the_limit(alice_and_bob):
    alice, bob = alice_and_bob
    send(alice, "meet at 3")
    message = message_with(alice, "meet at 3")
    expect(message).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    message.hover()
    message.locator('button[data-action="edit"]').click()
    box = alice.locator(".edit-form [name=message]")
    expect(box).to_be_focused()
    box.press("End")
    box.press("Shift+Enter")
    box.press_sequentially("in room 2")
    expect(box).to_have_value("meet at 3\nin room 2")
    box.press("Enter")
    expect(message_with(bob, "meet at 3").locator(".message-body")).to_have_text(
        "meet at 3\nin room 2", timeout=LIVE_TIMEOUT_MS
    )

    message.hover()
    message.locator('button[data-action="edit"]').click()
    box = alice.locator(".edit-form [name=message]")
    too_long = "y" * (LIMIT + 5)
    box.fill(too_long)
    counter = alice.locator(".edit-form .length-left")
    expect(counter).to_have_text("5 characters over the limit of 2000")
    expect(box).to_have_attribute("aria-describedby", counter.get_attribute("id"))
    box.press("Enter")
    expect(alice.locator("#chat-errors")).to_contain_text("limited to 2000 characters (this one has 2005)")
    expect(box).to_have_value(too_long)
    expect(message_with(bob, "meet at 3").locator(".message-body")).to_have_text("meet at 3\nin room 2")
