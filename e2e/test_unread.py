"""Unread counts per user and room, the same in every tab, and the "New messages" divider."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import HIDE, LIVE_TIMEOUT_MS, message_with, open_room, send
from e2e.test_sidebar import entry, open_list


def unread(page, name):
    return entry(page, name).locator(".unread-count")


@pytest.fixture
def general():
    from rooms.models import Room

    return Room.objects.create(name="General", slug="general")


@pytest.fixture
def bob(make_user, sign_in, general):
    make_user("bob")
    return open_room(sign_in("bob"), "general")


@pytest.fixture
def alice(make_user, sign_in, general):
    """Two tabs of alice: the lobby (general in its sidebar) and the / page."""
    make_user("alice")
    context = sign_in("alice")
    return open_room(context, "lobby"), open_list(context)


def test_messages_count_in_every_tab_and_reading_in_one_clears_the_others(alice, bob):
    lobby_tab, list_tab = alice
    for tab in alice:
        expect(unread(tab, "General")).to_be_hidden()
    send(bob, "one")
    for tab in alice:
        expect(unread(tab, "General")).to_have_text("1 unread", timeout=LIVE_TIMEOUT_MS)
    send(bob, "two")
    for tab in alice:
        expect(unread(tab, "General")).to_have_text("2 unread", timeout=LIVE_TIMEOUT_MS)
    # The author's own tab counts nothing.
    expect(unread(bob, "General")).to_be_hidden()

    # Reading general in one tab clears the count in the other.
    entry(list_tab, "General").locator("a").click()
    expect(list_tab.locator("#room")).to_have_attribute("data-ws", "open")
    expect(message_with(list_tab, "two")).to_be_visible()
    expect(unread(lobby_tab, "General")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)

    # While general is open and read at the bottom, new messages there are
    # read at once: no count anywhere.
    send(bob, "three")
    expect(message_with(list_tab, "three")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(unread(list_tab, "General")).to_be_hidden()
    expect(unread(lobby_tab, "General")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)


def test_counts_survive_a_reload_and_the_divider_marks_the_first_unread(alice, bob):
    lobby_tab, list_tab = alice
    general_tab = open_room(lobby_tab.context, "general")
    send(bob, "already read")
    expect(message_with(general_tab, "already read")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(unread(lobby_tab, "General")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
    general_tab.close()

    send(bob, "first new")
    send(bob, "second new")
    expect(unread(lobby_tab, "General")).to_have_text("2 unread", timeout=LIVE_TIMEOUT_MS)
    # Persisted: a fresh page counts the same, from the database.
    list_tab.reload()
    expect(unread(list_tab, "General")).to_have_text("2 unread")

    lobby_tab.goto("/rooms/general/")
    divider = lobby_tab.locator("#messages #unread-divider")
    expect(divider).to_have_text("New messages")
    expect(lobby_tab.locator("#unread-divider + .message .message-body")).to_have_text("first new")
    expect(lobby_tab.locator("#unread-divider ~ .message .message-body")).to_have_text(["first new", "second new"])
    # Having opened it, the count is gone in the other tab; the divider stays
    # on this page until the next visit.
    expect(unread(list_tab, "General")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
    send(bob, "third new")
    third = message_with(lobby_tab, "third new")
    expect(third).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(divider).to_be_visible()
    # Read up to there (the server says so to every tab), then a later visit.
    third_id = third.get_attribute("id").removeprefix("message-")
    expect(entry(list_tab, "General")).to_have_attribute("data-last-read", third_id, timeout=LIVE_TIMEOUT_MS)
    lobby_tab.reload()
    expect(lobby_tab.locator("#unread-divider")).to_have_count(0)


def test_a_hidden_tab_does_not_read_for_you(alice, bob):
    lobby_tab, _list_tab = alice
    general_tab = open_room(lobby_tab.context, "general")
    general_tab.evaluate(HIDE, True)
    send(bob, "while hidden")
    for tab in alice:
        expect(unread(tab, "General")).to_have_text("1 unread", timeout=LIVE_TIMEOUT_MS)
    general_tab.evaluate(HIDE, False)
    expect(message_with(general_tab, "while hidden")).to_be_visible(timeout=LIVE_TIMEOUT_MS * 3)
    for tab in alice:
        expect(unread(tab, "General")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)


def test_a_page_cut_off_from_its_server_catches_up_on_counts(make_user, cluster, sign_in):
    from e2e.test_nothing_lost import RECOVERY_TIMEOUT_MS
    from rooms.models import Room

    one, two = cluster
    Room.objects.create(name="General", slug="general")
    make_user("alice")
    make_user("bob")
    alice = open_list(sign_in("alice", one))
    bob = open_room(sign_in("bob", two), "general")
    send(bob, "before")
    expect(unread(alice, "General")).to_have_text("1 unread", timeout=LIVE_TIMEOUT_MS)

    one.kill()
    expect(alice.locator("#rooms")).to_have_attribute("data-ws", "reconnecting", timeout=LIVE_TIMEOUT_MS)
    send(bob, "while cut off 1")
    send(bob, "while cut off 2")
    expect(message_with(bob, "while cut off 2")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    one.start()
    expect(alice.locator("#rooms")).to_have_attribute("data-ws", "open", timeout=RECOVERY_TIMEOUT_MS)
    expect(unread(alice, "General")).to_have_text("3 unread", timeout=LIVE_TIMEOUT_MS)
    # Live again after the fresh list, counting on from it.
    send(bob, "after coming back")
    expect(unread(alice, "General")).to_have_text("4 unread", timeout=LIVE_TIMEOUT_MS)


def test_reading_further_up_counts_the_open_room_until_scrolled_down(alice, bob, general):
    from django.contrib.auth import get_user_model

    from rooms.models import Message

    author = get_user_model().objects.get(username="bob")
    Message.objects.bulk_create(Message(room=general, author=author, text=f"old {n}") for n in range(40))
    lobby_tab, list_tab = alice
    general_tab = open_room(lobby_tab.context, "general")
    expect(unread(list_tab, "General")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)  # opened: all read
    general_tab.locator("#messages").evaluate("messages => { messages.scrollTop = 0; }")
    send(bob, "below the fold")
    expect(message_with(general_tab, "below the fold")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    for tab in (general_tab, *alice):
        expect(unread(tab, "General")).to_have_text("1 unread", timeout=LIVE_TIMEOUT_MS)
    general_tab.click("#new-messages")  # the pill takes the reader to the latest
    for tab in (general_tab, *alice):
        expect(unread(tab, "General")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)


def test_a_private_room_counts_for_its_members(make_user, sign_in, alice):
    from django.contrib.auth import get_user_model

    from rooms.models import Room

    secret = Room.objects.create(name="Secret", slug="secret", is_private=True)
    secret.members.add(make_user("carol"), get_user_model().objects.get(username="alice"))
    carol = open_room(sign_in("carol"), "secret")
    for tab in alice:
        tab.reload()
        expect(unread(tab, "Secret")).to_be_hidden()
    send(carol, "members only")
    for tab in alice:
        expect(unread(tab, "Secret")).to_have_text("1 unread", timeout=LIVE_TIMEOUT_MS)


def bob_asks_alice_and_everyone(bob, alice_tabs):
    send(bob, "hello @alice, a question")
    send(bob, "and something for everyone")
    for tab in alice_tabs:
        expect(unread(tab, "General")).to_have_text("2 unread", timeout=LIVE_TIMEOUT_MS)
        expect(entry(tab, "General").locator(".mention-count")).to_have_text("@1 mention")


def test_mentions_are_counted_separately(alice, bob):
    lobby_tab, list_tab = alice
    bob_asks_alice_and_everyone(bob, alice)
    list_tab.reload()  # the same from the database
    expect(unread(list_tab, "General")).to_have_text("2 unread")
    expect(entry(list_tab, "General").locator(".mention-count")).to_have_text("@1 mention")
    entry(list_tab, "General").locator("a").click()
    expect(entry(lobby_tab, "General").locator(".mention-count")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)


def test_a_deleted_message_leaves_the_counts(alice, bob):
    from e2e.test_edit_delete import action

    _lobby_tab, list_tab = alice
    bob_asks_alice_and_everyone(bob, alice)
    list_tab.reload()  # this tab's counts now come from the database, the other's were counted live
    expect(unread(list_tab, "General")).to_have_text("2 unread")
    bob.on("dialog", lambda dialog: dialog.accept())
    action(bob, "a question", "delete").click()
    for tab in alice:
        expect(unread(tab, "General")).to_have_text("1 unread", timeout=LIVE_TIMEOUT_MS)
        expect(entry(tab, "General").locator(".mention-count")).to_be_hidden()
    list_tab.reload()
    expect(unread(list_tab, "General")).to_have_text("1 unread")
