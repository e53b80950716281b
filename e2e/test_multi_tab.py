"""Two users in two browser contexts, one of them with a second tab, in the lobby."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, message_with, open_room, send


@pytest.fixture
def people(make_user, sign_in):
    make_user("alice")
    make_user("bob")
    alice = sign_in("alice")
    bob = sign_in("bob")
    return {"alice": [open_room(alice), open_room(alice)], "bob": [open_room(bob)]}


def all_tabs(people):
    return [tab for tabs in people.values() for tab in tabs]


def test_enter_sends_to_every_tab_once_with_author_and_time(people):
    bob = people["bob"][0]
    send(bob, "Hello from Bob")
    for tab in all_tabs(people):
        message = message_with(tab, "Hello from Bob")
        expect(message).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
        expect(message.locator(".message-author")).to_have_text("bob")
        expect(message.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
        expect(message.locator("time")).to_have_text(re.compile(r"\d"))
        expect(message).to_have_id(re.compile(r"^message-\d+$"))
    # The composer is cleared and keeps focus for the next message.
    expect(bob.locator("#message-form [name=message]")).to_have_value("")
    expect(bob.locator("#message-form [name=message]")).to_be_focused()
    # Only the author's own tabs mark it as theirs.
    expect(message_with(bob, "Hello from Bob")).to_have_class(re.compile(r"\bmine\b"))
    expect(message_with(people["alice"][0], "Hello from Bob")).not_to_have_class(re.compile(r"\bmine\b"))


def test_conversation_keeps_its_order_in_every_tab(people):
    alice1, alice2 = people["alice"]
    bob = people["bob"][0]
    send(alice1, "one")
    expect(message_with(bob, "one")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    send(bob, "two")
    expect(message_with(alice2, "two")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    send(alice2, "three")
    for tab in all_tabs(people):
        expect(tab.locator("#messages .message-body")).to_have_text(["one", "two", "three"], timeout=LIVE_TIMEOUT_MS)


HOSTILE = [
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned='img'\">",
    '"><svg onload="window.__pwned=\'svg\'">',
    "' onmouseover='window.__pwned=1' x='",
    "{{ request.user }} {% csrf_token %} ${alert(1)}",
    '<div hx-get="/accounts/logout/" hx-trigger="load">htmx attribute</div>',
]


def test_hostile_text_shows_literally_and_runs_nothing(people):
    dialogs = []
    for tab in all_tabs(people):
        tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    alice = people["alice"][0]
    for text in HOSTILE:
        send(alice, text)
        expect(message_with(people["bob"][0], text)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    for tab in all_tabs(people):
        expect(tab.locator("#messages .message-body")).to_have_text(HOSTILE, timeout=LIVE_TIMEOUT_MS)
        assert tab.evaluate("window.__pwned") is None
        assert tab.locator("#messages img, #messages svg, #messages script, #messages [hx-get]").count() == 0
    assert dialogs == []
    # Still signed in: the htmx attribute in the text did nothing.
    bob = people["bob"][0]
    bob.reload()
    expect(bob.locator("#messages .message-body")).to_have_text(HOSTILE)


def test_history_survives_a_reload(people):
    bob = people["bob"][0]
    for text in ["first", "second", "third"]:
        send(bob, text)
        expect(message_with(bob, text)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    alice = people["alice"][1]
    alice.reload()
    expect(alice.locator("#messages .message-body")).to_have_text(["first", "second", "third"])
    expect(alice.locator("#messages .message-author")).to_have_text(["bob", "bob", "bob"])


def test_presence_lists_each_user_once(people, sign_in):
    for tab in all_tabs(people):
        expect(tab.locator("#presence li")).to_have_text(["alice", "bob"], timeout=LIVE_TIMEOUT_MS)
    # Closing one of alice's two tabs keeps her present; closing both removes her.
    alice1, alice2 = people["alice"]
    bob = people["bob"][0]
    alice1.close()
    expect(bob.locator("#presence li")).to_have_text(["alice", "bob"], timeout=LIVE_TIMEOUT_MS)
    alice2.close()
    expect(bob.locator("#presence li")).to_have_text(["bob"], timeout=LIVE_TIMEOUT_MS)


def test_refused_message_shows_an_error_and_goes_back_in_the_box(people):
    bob = people["bob"][0]
    # Flood control: CHAT_RATE_LIMIT_MESSAGES (10) per 10 s.
    for n in range(10):
        send(bob, f"burst {n}")
    expect(bob.locator("#messages .message")).to_have_count(10, timeout=5000)
    send(bob, "one too many")
    expect(bob.locator("#chat-errors")).to_contain_text("too quickly", timeout=LIVE_TIMEOUT_MS)
    expect(bob.locator("#message-form [name=message]")).to_have_value("one too many")
    expect(message_with(bob, "one too many")).to_have_count(0)
    expect(people["alice"][0].locator("#chat-errors")).to_be_empty()
    expect(bob.locator("#room")).to_have_attribute("data-ws", "open")


def test_typing_indicator_for_others_gone_on_send(people):
    alice = people["alice"][0]
    bob = people["bob"][0]
    bob.locator("#message-form [name=message]").press_sequentially("hel")
    expect(alice.locator("#typing")).to_have_text("bob is typing…", timeout=LIVE_TIMEOUT_MS)
    expect(bob.locator("#typing")).to_have_text("")  # never your own
    bob.locator("#message-form [name=message]").press_sequentially("lo")
    bob.press("#message-form [name=message]", "Enter")
    expect(message_with(alice, "hello")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(alice.locator("#typing")).to_have_text("")


def test_typing_indicator_fades_after_the_last_keystroke(people):
    alice = people["alice"][0]
    people["bob"][0].locator("#message-form [name=message]").press_sequentially("hmm")
    expect(alice.locator("#typing")).to_have_text("bob is typing…", timeout=LIVE_TIMEOUT_MS)
    # Shown for 5 s after the last signal, then gone without a reload.
    expect(alice.locator("#typing")).to_have_text("", timeout=8000)
