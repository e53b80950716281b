"""A message sent while the connection is down: it shows in the history as
"Sending…" at once, in the order sent, and becomes the delivered message
once the server has it: never lost, never twice. Refused, it says so and
why, with the text handed back."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, bodies, message_with, open_room, send
from e2e.test_nothing_lost import RECOVERY_TIMEOUT_MS

BOX = "#message-form [name=message]"


@pytest.fixture
def alice_and_bob(make_user):
    make_user("alice")
    make_user("bob")


def pending(page):
    return page.locator("#messages .pending-message")


def go_offline(page, server):
    server.kill()
    expect(page.locator("#room")).to_have_attribute("data-ws", "reconnecting", timeout=LIVE_TIMEOUT_MS)


def test_messages_sent_offline_show_as_sending_then_become_the_delivered_ones_once(
    alice_and_bob, server_with, sign_in, measure
):
    server = server_with()
    alice, bob = open_room(sign_in("alice", server)), open_room(sign_in("bob", server))
    send(alice, "before the outage")
    expect(bodies(bob)).to_have_text(["before the outage"], timeout=LIVE_TIMEOUT_MS)

    go_offline(alice, server)
    texts = ["first while offline", "second, with\ntwo lines", "third"]
    for text in texts:
        send(alice, text)
    expect(pending(alice)).to_have_count(3)
    expect(pending(alice).locator(".pending-body")).to_have_text(texts)
    expect(pending(alice).locator(".pending-state")).to_have_text(["Sending…"] * 3)
    expect(pending(alice).locator(".pending-author")).to_have_text(["alice"] * 3)
    client_ids = [pending(alice).nth(n).get_attribute("data-client-id") for n in range(3)]
    # In the history, after what was delivered; the box is free for the next one.
    expect(alice.locator("#messages > :last-child")).to_have_attribute("data-client-id", client_ids[2])
    expect(alice.locator(BOX)).to_have_value("")
    expect(alice.locator("#messages .message")).to_have_count(1)

    server.start()
    everything = ["before the outage", *texts]
    for page in (alice, bob):
        expect(bodies(page)).to_have_text(everything, timeout=RECOVERY_TIMEOUT_MS)
    expect(pending(alice)).to_have_count(0)
    delivered = alice.locator("#messages .message")
    assert [delivered.nth(n).get_attribute("data-client-id") for n in range(1, 4)] == client_ids
    expect(delivered.nth(3)).to_have_class(re.compile(r"\bmine\b"))
    # Once each, in the database too, after the page's resends.
    from rooms.models import Message

    assert list(Message.objects.order_by("pk").values_list("text", flat=True)) == everything
    send(alice, "back to normal")
    expect(bodies(bob)).to_have_text([*everything, "back to normal"], timeout=LIVE_TIMEOUT_MS)
    expect(pending(alice)).to_have_count(0)
    measure("messages sent while the server was down", sent_offline=3, lost=0, duplicated=0)


def test_a_message_refused_after_reconnecting_says_why_and_hands_its_text_back(alice_and_bob, server_with, sign_in):
    # Two messages per minute: the third sent offline is refused as too fast.
    server = server_with(CHAT_RATE_LIMIT_MESSAGES="2", CHAT_RATE_LIMIT_SECONDS="60")
    alice = open_room(sign_in("alice", server))
    go_offline(alice, server)
    for text in ("one", "two", "three"):
        send(alice, text)
    expect(pending(alice)).to_have_count(3)

    server.start()
    expect(bodies(alice)).to_have_text(["one", "two"], timeout=RECOVERY_TIMEOUT_MS)
    refused = pending(alice)
    expect(refused).to_have_count(1)
    expect(refused.locator(".pending-body")).to_have_text("three")
    expect(refused.locator(".pending-state")).to_have_text("Not sent")
    expect(refused.locator(".unsent-reason")).to_contain_text("too quickly")
    expect(refused.get_by_role("button", name="Try again")).to_be_visible()
    expect(alice.locator(BOX)).to_have_value("three")
    expect(alice.locator("#chat-errors")).to_contain_text("too quickly")

    refused.get_by_role("button", name="Discard").click()
    expect(pending(alice)).to_have_count(0)
    expect(alice.locator(BOX)).to_have_value("three")  # still yours to send later
    expect(bodies(alice)).to_have_text(["one", "two"])


def test_on_a_good_connection_the_message_shows_at_once_and_is_replaced_in_place(alice_and_bob, sign_in):
    alice = open_room(sign_in("alice"))
    send(alice, "hello")
    expect(message_with(alice, "hello")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(pending(alice)).to_have_count(0)
    expect(bodies(alice)).to_have_text(["hello"])
