"""Replies: "Reply" quotes a message above the composer; the sent message
shows the quote, which follows edits of the original and says "message
deleted" once it is gone, on every open page."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, bodies, message_with, open_room, send


@pytest.fixture
def alice_and_bob(make_user, sign_in):
    make_user("alice")
    make_user("bob")
    return open_room(sign_in("alice")), open_room(sign_in("bob"))


def act(page, text, name):
    message = message_with(page, text)
    message.hover()
    message.locator(f'button[data-action="{name}"]').click()


def quote_in(page, text):
    return message_with(page, text).locator(".reply-quote")


def test_a_reply_quotes_the_original_which_follows_edits_and_deletion(alice_and_bob):
    alice, bob = alice_and_bob
    send(alice, "Shall we ship on Friday?")
    expect(bodies(bob)).to_have_text(["Shall we ship on Friday?"], timeout=LIVE_TIMEOUT_MS)
    original = message_with(bob, "ship on Friday").get_attribute("id").removeprefix("message-")

    act(bob, "ship on Friday", "reply")
    preview = bob.locator("#reply-preview")
    expect(preview).to_contain_text("Replying to alice Shall we ship on Friday?")
    expect(bob.locator("#message-input")).to_be_focused()
    bob.keyboard.type("Friday works for me")
    bob.keyboard.press("Enter")
    expect(preview).to_have_count(0)
    for page in (alice, bob):
        quote = quote_in(page, "Friday works for me")
        expect(quote).to_contain_text("alice Shall we ship on Friday?", timeout=LIVE_TIMEOUT_MS)
        expect(quote).to_have_attribute("href", f"/rooms/lobby/messages/{original}/")

    # The original is edited: the quote follows on every page.
    act(alice, "ship on Friday", "edit")
    alice.locator(".edit-form [name=message]").fill("Shall we ship on Monday?")
    alice.locator(".edit-form [name=message]").press("Enter")
    for page in (alice, bob):
        expect(quote_in(page, "Friday works for me")).to_contain_text(
            "Shall we ship on Monday?", timeout=LIVE_TIMEOUT_MS
        )

    # The original is deleted: the quote says so, live and after a reload.
    alice.once("dialog", lambda dialog: dialog.accept())
    act(alice, "ship on Monday", "delete")
    for page in (alice, bob):
        expect(bodies(page)).to_have_text(["Friday works for me"], timeout=LIVE_TIMEOUT_MS)
        expect(quote_in(page, "Friday works for me")).to_have_text("Reply to a message deleted")
    bob.reload()
    expect(quote_in(bob, "Friday works for me")).to_have_text("Reply to a message deleted")


def test_reply_works_from_the_keyboard_and_can_be_cancelled(alice_and_bob):
    alice, bob = alice_and_bob
    send(alice, "anyone for coffee?")
    expect(bodies(bob)).to_have_text(["anyone for coffee?"], timeout=LIVE_TIMEOUT_MS)
    reply = message_with(bob, "coffee").locator('button[data-action="reply"]')
    # Each message's buttons say which message they are for.
    expect(reply).to_have_attribute("aria-label", re.compile(r"^Reply to message from alice at \d"))
    reply.focus()
    bob.keyboard.press("Enter")
    expect(bob.locator("#reply-preview")).to_be_visible()
    expect(bob.locator("#message-input")).to_be_focused()
    bob.keyboard.press("Escape")
    expect(bob.locator("#reply-preview")).to_have_count(0)
    expect(bob.locator("#message-input")).to_be_focused()

    # Again, and cancelled with its button (Shift+Tab from the box reaches
    # it, past the attach button beside the box).
    reply.focus()
    bob.keyboard.press("Enter")
    bob.keyboard.press("Shift+Tab")
    expect(bob.locator("#attach-button")).to_be_focused()
    bob.keyboard.press("Shift+Tab")
    expect(bob.get_by_role("button", name="Cancel reply")).to_be_focused()
    bob.keyboard.press("Enter")
    expect(bob.locator("#reply-preview")).to_have_count(0)
    send(bob, "just a message")
    expect(bodies(alice)).to_have_text(["anyone for coffee?", "just a message"], timeout=LIVE_TIMEOUT_MS)
    expect(message_with(alice, "just a message").locator(".reply-quote")).to_have_count(0)


def test_a_quote_catches_up_with_an_original_deleted_while_the_page_was_away(make_user, cluster, sign_in):
    from e2e.test_nothing_lost import RECOVERY_TIMEOUT_MS

    make_user("alice")
    make_user("bob")
    one, two = cluster
    alice, bob = open_room(sign_in("alice", one)), open_room(sign_in("bob", two))
    send(alice, "who brings the cake?")
    expect(bodies(bob)).to_have_text(["who brings the cake?"], timeout=LIVE_TIMEOUT_MS)
    act(bob, "who brings the cake?", "reply")
    send(bob, "I do")
    expect(quote_in(alice, "I do")).to_contain_text("who brings the cake?", timeout=LIVE_TIMEOUT_MS)

    two.kill()
    expect(bob.locator("#room")).to_have_attribute("data-ws", "reconnecting", timeout=LIVE_TIMEOUT_MS)
    alice.once("dialog", lambda dialog: dialog.accept())
    act(alice, "who brings the cake?", "delete")
    expect(quote_in(alice, "I do")).to_have_text("Reply to a message deleted", timeout=LIVE_TIMEOUT_MS)

    two.start()
    expect(bodies(bob)).to_have_text(["I do"], timeout=RECOVERY_TIMEOUT_MS)
    expect(quote_in(bob, "I do")).to_have_text("Reply to a message deleted")
