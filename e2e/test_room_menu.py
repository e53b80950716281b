"""The room's menu: muting a room and choosing "All messages" or "Mentions
only", as a person does it, and what a background tab then shows."""

from playwright.sync_api import expect

from e2e.conftest import HIDE, LIVE_TIMEOUT_MS, message_with, open_room, send
from e2e.test_mentions import allow_notifications, notifications, notified
from e2e.test_unread import unread


def choose(page, button):
    """Open the room's menu and press one of its buttons."""
    page.locator("#room-menu summary").click()
    page.locator(button).click()


def test_muting_a_room_from_its_menu_quiets_it_but_keeps_it_unread(make_user, sign_in, server):
    make_user("alice")
    make_user("bob")
    alice_context = allow_notifications(sign_in("alice"), server)
    alice = open_room(alice_context)
    bob = open_room(sign_in("bob"))
    summary = alice.locator("#room-menu summary")
    expect(summary).to_have_text("🔔 Mentions only")

    choose(alice, "#room-mute")
    expect(summary).to_have_text("🔕 Muted")
    expect(alice.locator("#room-mute")).to_have_attribute("aria-pressed", "true")
    alice.reload()
    expect(alice.locator("#room-menu summary")).to_have_text("🔕 Muted")  # saved, not only shown

    # Her tab in the background: a mention in the muted room notifies nothing,
    # and still counts as unread (the room list in another tab of hers).
    alice.wait_for_selector('#room[data-ws="open"]')
    listing = alice_context.new_page()
    listing.goto("/")
    listing.wait_for_selector('#rooms[data-ws="open"]')
    alice.evaluate(HIDE, True)
    listing.evaluate(HIDE, True)
    send(bob, "@alice are you there?")
    expect(message_with(alice, "are you there?")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(unread(listing, "Lobby")).to_have_text("1 unread", timeout=LIVE_TIMEOUT_MS)
    assert notifications(alice) == [] and notifications(listing) == []

    # Unmuted, from the menu on her page: the next mention notifies.
    alice.evaluate(HIDE, False)
    choose(alice, "#room-mute")
    expect(alice.locator("#room-menu summary")).to_have_text("🔔 Mentions only")
    alice.evaluate(HIDE, True)
    send(bob, "@alice now?")
    assert [n["body"] for n in notified(alice, 1)] == ["@alice now?"]
    # The list's tab tells of it too, under the same tag: the browser shows one.
    assert [n["tag"] for n in notified(listing, 1)] == [notifications(alice)[0]["tag"]]


def test_all_messages_notifies_of_every_message_of_the_room(make_user, sign_in, server):
    make_user("alice")
    make_user("bob")
    alice = open_room(allow_notifications(sign_in("alice"), server))
    bob = open_room(sign_in("bob"))
    choose(alice, "#room-level-all")
    expect(alice.locator("#room-menu summary")).to_have_text("🔔 All messages")
    expect(alice.locator("#room-level-all")).to_have_attribute("aria-pressed", "true")
    expect(alice.locator("#room-level-mentions")).to_have_attribute("aria-pressed", "false")
    alice.evaluate(HIDE, True)
    send(bob, "deploy done")
    assert [(n["title"], n["body"]) for n in notified(alice, 1)] == [("bob in #lobby", "deploy done")]
