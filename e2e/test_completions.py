"""Suggestions as one types: "@al" offers the people who can read the room,
":ta" the emoji; a listbox the keyboard alone can use. And `:tada:` becomes
🎉 as it is typed, and whichever way a message comes in."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, direct_conversation, message_with, open_room
from e2e.webhook import api_post

BOX = "#message-form [name=message]"
LIST = "#message-input-completions"


@pytest.fixture
def team(make_user, sign_in):
    make_user("alice", first_name="Alice", last_name="Liddell")
    make_user("alma")
    make_user("bob")
    make_user("gone", first_name="Alan", is_active=False)
    return open_room(sign_in("alice")), open_room(sign_in("bob"))


def test_at_and_letters_offer_people_and_the_keyboard_alone_picks_one(team):
    alice, bob = team
    box, listbox = bob.locator(BOX), bob.locator(LIST)
    box.press_sequentially("thanks @al")
    expect(listbox).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(listbox).to_have_attribute("role", "listbox")
    options = listbox.get_by_role("option")
    expect(options).to_have_text(["Alice Liddell @alice", "alma"])
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile("."))

    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    box.press("ArrowUp")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(options.nth(1)).to_have_attribute("aria-selected", "false")
    expect(box).to_have_attribute("aria-activedescendant", options.nth(0).get_attribute("id"))

    box.press("Enter")  # picks: does not send
    expect(box).to_have_value("thanks @alice ")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(bob.locator("#messages .pending-message, #messages .message")).to_have_count(0)

    box.press_sequentially("for the review")
    box.press("Enter")
    sent = message_with(alice, "thanks")
    expect(sent.locator(".message-body")).to_have_text("thanks @alice for the review", timeout=LIVE_TIMEOUT_MS)
    expect(sent.locator(".mention")).to_have_text("@alice")
    expect(sent).to_have_class(re.compile(r"\bmentions-me\b"))


def test_tab_picks_escape_closes_and_a_click_picks_too(team):
    _, bob = team
    box, listbox = bob.locator(BOX), bob.locator(LIST)
    box.press_sequentially("@alm")
    expect(listbox.get_by_role("option")).to_have_text(["alma"], timeout=LIVE_TIMEOUT_MS)
    box.press("Tab")
    expect(box).to_have_value("@alma ")
    expect(box).to_be_focused()

    box.press_sequentially("and @a")
    expect(listbox).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("@alma and @a")

    box.press("Backspace")
    box.press_sequentially("a")
    listbox.get_by_role("option", name="Alice Liddell @alice").click()
    expect(box).to_have_value("@alma and @alice ")
    expect(box).to_be_focused()


def test_a_conversation_offers_only_its_people(make_user, sign_in):
    make_user("alice")
    make_user("bob")
    make_user("carol")
    room = direct_conversation("bob", "alice")
    bob = sign_in("bob").new_page()
    bob.goto(f"/dm/{room.pk}/")
    bob.wait_for_selector('#room[data-ws="open"]')
    bob.locator(BOX).press_sequentially("@")
    expect(bob.locator(LIST).get_by_role("option")).to_have_text(["alice"], timeout=LIVE_TIMEOUT_MS)


def test_a_shortcode_becomes_its_emoji_as_its_colon_is_typed(team):
    alice, bob = team
    box = bob.locator(BOX)
    box.press_sequentially("shipped :tada: ")
    expect(box).to_have_value("shipped 🎉 ")
    box.press_sequentially("with `:tada:` in code, and 10:30:00")
    expect(box).to_have_value("shipped 🎉 with `:tada:` in code, and 10:30:00")
    box.press("Enter")
    expect(message_with(alice, "shipped").locator(".message-body")).to_have_text(
        "shipped 🎉 with :tada: in code, and 10:30:00", timeout=LIVE_TIMEOUT_MS
    )


def test_colon_and_letters_offer_emoji(team):
    alice, bob = team
    box, listbox = bob.locator(BOX), bob.locator(LIST)
    box.press_sequentially("great work :tad")
    expect(listbox.get_by_role("option").first).to_have_text("🎉 :tada:", timeout=LIVE_TIMEOUT_MS)
    box.press("ArrowDown")
    box.press("Enter")
    expect(box).to_have_value("great work 🎉")
    box.press("Enter")
    expect(message_with(alice, "great work")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)


def test_shortcodes_from_a_bot_and_a_bare_socket_arrive_as_emoji(team, server):
    from integrations.models import Bot
    from rooms.models import Room

    alice, bob = team
    _, token = Bot.objects.create_bot("deploybot", rooms=[Room.objects.get(slug="lobby")])
    assert api_post(server.url, "lobby", token, {"text": "Deployed :rocket: (`:rocket:`)"})[0] == 201
    expect(message_with(alice, "Deployed").locator(".message-body")).to_have_text(
        "Deployed 🚀 (:rocket:)", timeout=LIVE_TIMEOUT_MS
    )
    expect(message_with(alice, "Deployed").locator(".message-body code")).to_have_text(":rocket:")

    # A client of its own on the socket, not the page's box.
    bob.evaluate("""() => new Promise((resolve, reject) => {
        const socket = new WebSocket(`ws://${location.host}/ws/rooms/lobby/`);
        socket.onopen = () => { socket.send(JSON.stringify({message: "from a script :+1:"})); resolve(); };
        socket.onerror = reject;
    })""")
    expect(message_with(alice, "from a script").locator(".message-body")).to_have_text(
        "from a script 👍", timeout=LIVE_TIMEOUT_MS
    )
