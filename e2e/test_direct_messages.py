"""Direct messages (docs/using.md) as three people live them: a
conversation started from a person's name arrives live in the other
person's tab and sidebar, a third person gets a 404, and the "New message"
picker starts a conversation of several people, which notifies a hidden tab."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import HIDE, LIVE_TIMEOUT_MS, message_with, open_room, send
from e2e.test_mentions import allow_notifications, notified
from e2e.test_sidebar import open_list

DM_URL = re.compile(r"/dm/(\d+)/$")


@pytest.fixture
def people(make_user):
    for name in ("alice", "bob", "carol"):
        make_user(name)


def conversations(page):
    return page.locator("#dm-list .room-entry")


def start_from_name(page, name):
    """Open the offer on `name` (an author's or in "Here now") and take it."""
    name.click()
    offer = page.get_by_role("button", name=f"Message {name.inner_text()}")
    expect(offer).to_be_focused()
    offer.click()
    page.wait_for_url(DM_URL)
    page.wait_for_selector('#room[data-ws="open"]', timeout=10_000)


def test_a_message_started_from_a_name_arrives_live_and_nobody_else_may_read_it(people, sign_in, server, screenshot):
    bob_context = sign_in("bob")
    bob = open_room(bob_context)
    bob_list = open_list(bob_context)
    alice = open_room(sign_in("alice"))
    carol = open_room(sign_in("carol"))

    # From "Here now": alice's own name offers nothing, bob's offers "Message bob".
    presence = alice.locator("#presence")
    expect(presence.locator(".person-name")).to_have_text(["bob", "carol"], timeout=LIVE_TIMEOUT_MS)
    expect(presence.locator("[data-username=alice] .person-name")).to_have_count(0)
    start_from_name(alice, presence.locator(".person-name", has_text="bob"))
    url = alice.url
    expect(alice.locator("h1")).to_have_text("Direct messages with bob")
    expect(alice).to_have_title("bob · Chat")

    # The new conversation appears in bob's sidebar and list, titled "alice".
    for page in (bob, bob_list):
        expect(conversations(page)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
        expect(conversations(page).locator(".room-name")).to_have_text("alice")
    send(alice, "psst, lunch at noon?")
    expect(message_with(alice, "lunch at noon")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    for page in (bob, bob_list):
        expect(conversations(page).locator(".unread-count")).to_have_text("1 unread", timeout=LIVE_TIMEOUT_MS)

    # Bob opens it from the sidebar and answers; alice sees it live.
    conversations(bob).locator("a").click()
    bob.wait_for_url(url)
    expect(bob.locator('#room[data-ws="open"]')).to_have_count(1, timeout=10_000)
    expect(message_with(bob, "lunch at noon")).to_be_visible()
    send(bob, "yes! usual place")
    expect(message_with(alice, "usual place")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(bob_list.locator("#dm-list .unread-count")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
    expect(alice.locator("#presence .presence-entry")).to_have_text(["alice", "bob"], timeout=LIVE_TIMEOUT_MS)
    screenshot(alice, "direct-message")

    # Bob messaging alice from her name in the lobby reaches the same conversation.
    lobby = open_room(bob_context)
    send(carol, "anyone around?")
    send(open_room(alice.context), "here")
    author = message_with(lobby, "here").locator(".message-author .person-name")
    start_from_name(lobby, author)
    assert lobby.url == url

    # Carol: no trace of it, and a 404 at its address.
    expect(conversations(carol)).to_have_count(0)
    response = carol.goto(url)
    assert response.status == 404
    assert "lunch" not in carol.content()


def test_new_message_picks_people_by_name_and_notifies_hidden_tabs(people, sign_in, server):
    carol_context = allow_notifications(sign_in("carol"), server)
    carol = open_room(carol_context)
    alice = open_room(sign_in("alice"))

    alice.get_by_role("link", name="New message").click()
    dialog = alice.get_by_role("dialog", name="New message")
    search = dialog.get_by_label("Find people by name")
    expect(search).to_be_focused()
    expect(dialog.locator(".person-choice")).to_have_text(["bob", "carol"], timeout=LIVE_TIMEOUT_MS)
    search.fill("car")
    expect(alice.locator(".person-choice")).to_have_text(["carol"], timeout=LIVE_TIMEOUT_MS)
    alice.get_by_label("carol").check()
    search.fill("bo")
    expect(alice.locator(".person-choice")).to_have_text(["carol", "bob"], timeout=LIVE_TIMEOUT_MS)
    alice.get_by_label("bob").check()
    alice.get_by_role("button", name="Start conversation").click()
    alice.wait_for_url(DM_URL)
    expect(alice.locator("h1")).to_have_text("Direct messages with bob, carol")

    # Carol's lobby tab is in the background: the direct message notifies it.
    expect(conversations(carol).locator(".room-name")).to_have_text("alice, bob", timeout=LIVE_TIMEOUT_MS)
    carol.evaluate(HIDE, True)
    expect(alice.locator('#room[data-ws="open"]')).to_have_count(1, timeout=10_000)
    send(alice, "release at 3?")
    expect(conversations(carol).locator(".unread-count")).to_have_text("1 unread", timeout=LIVE_TIMEOUT_MS)
    notices = notified(carol, 1)
    assert notices[0]["title"] == "New direct message: alice, bob"

    # In the conversation itself, every message notifies a hidden tab, mention or not.
    dm = carol_context.new_page()
    dm.goto(alice.url)
    dm.wait_for_selector('#room[data-ws="open"]', timeout=10_000)
    dm.evaluate(HIDE, True)
    send(alice, "no mention, still news")
    notices = notified(dm, 1)
    assert notices[0]["title"] == "alice (direct message)" and notices[0]["body"] == "no mention, still news"
