"""Editing and deleting messages from the room page, seen live by everyone."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, bodies, message_with, open_room, send
from e2e.test_nothing_lost import RECOVERY_TIMEOUT_MS


@pytest.fixture
def users(make_user):
    make_user("alice")
    make_user("bob")


@pytest.fixture
def alice_and_bob(users, sign_in):
    alice, bob = open_room(sign_in("alice")), open_room(sign_in("bob"))
    return alice, bob


def action(page, text, name):
    message = message_with(page, text)
    message.hover()
    return message.locator(f'button[data-action="{name}"]')


def edit(page, text, new_text):
    action(page, text, "edit").click()
    box = message_with(page, text).locator(".edit-form [name=message]")
    expect(box).to_be_focused()
    box.fill(new_text)
    box.press("Enter")


def test_author_edits_and_every_page_shows_the_new_text_marked_edited(alice_and_bob):
    alice, bob = alice_and_bob
    send(alice, "see you at *noon*")
    expect(bodies(bob)).to_have_text(["see you at noon"], timeout=LIVE_TIMEOUT_MS)
    expect(message_with(bob, "noon").locator(".message-body em")).to_have_text("noon")
    # Nobody else gets to edit or delete it (only to reply, react, and copy a link to it).
    expect(message_with(bob, "noon").locator("button[data-action]")).to_have_text(["Reply", "React", "Copy link"])

    action(alice, "noon", "edit").click()
    # The box holds the text as typed, not as displayed.
    expect(alice.locator(".edit-form [name=message]")).to_have_value("see you at *noon*")
    alice.locator(".edit-form [name=message]").fill("see you at one <sharp>")
    alice.locator(".edit-form [name=message]").press("Enter")
    for page in (alice, bob):
        expect(bodies(page)).to_have_text(["see you at one <sharp>"], timeout=LIVE_TIMEOUT_MS)
        expect(message_with(page, "one <sharp>").locator(".message-edited")).to_have_text("(edited)")
    expect(alice.locator(".edit-form")).to_have_count(0)
    expect(alice.locator("#message-input")).to_be_focused()


def test_up_arrow_edits_the_latest_own_message_and_escape_cancels(alice_and_bob):
    alice, bob = alice_and_bob
    send(alice, "first")
    send(alice, "secnod")
    expect(bodies(alice)).to_have_text(["first", "secnod"], timeout=LIVE_TIMEOUT_MS)
    alice.locator("#message-input").press("ArrowUp")
    box = message_with(alice, "secnod").locator(".edit-form [name=message]")
    expect(box).to_be_focused()
    box.press("Escape")
    expect(alice.locator(".edit-form")).to_have_count(0)
    expect(alice.locator("#message-input")).to_be_focused()

    alice.locator("#message-input").press("ArrowUp")
    message_with(alice, "secnod").locator(".edit-form [name=message]").fill("second")
    message_with(alice, "secnod").locator(".edit-form [name=message]").press("Enter")
    expect(bodies(bob)).to_have_text(["first", "second"], timeout=LIVE_TIMEOUT_MS)


def test_refused_edit_keeps_the_box_and_says_why(alice_and_bob):
    alice, _ = alice_and_bob
    send(alice, "keep me")
    expect(bodies(alice)).to_have_text(["keep me"], timeout=LIVE_TIMEOUT_MS)
    edit(alice, "keep me", "   ")
    expect(alice.locator("#chat-errors")).to_contain_text("Type a message", timeout=LIVE_TIMEOUT_MS)
    expect(alice.locator(".edit-form [name=message]")).to_have_value("   ")
    expect(bodies(alice)).to_have_text(["keep me"])


def test_author_deletes_and_the_message_disappears_everywhere(alice_and_bob):
    alice, bob = alice_and_bob
    send(alice, "keep")
    send(alice, "regret this")
    expect(bodies(bob)).to_have_text(["keep", "regret this"], timeout=LIVE_TIMEOUT_MS)
    dialogs = []
    alice.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    action(alice, "regret this", "delete").click()
    for page in (alice, bob):
        expect(bodies(page)).to_have_text(["keep"], timeout=LIVE_TIMEOUT_MS)
    assert dialogs == ["Delete this message for everyone?"]


def test_dismissing_the_confirmation_deletes_nothing(alice_and_bob):
    alice, bob = alice_and_bob
    send(alice, "almost gone")
    expect(bodies(bob)).to_have_text(["almost gone"], timeout=LIVE_TIMEOUT_MS)
    alice.once("dialog", lambda dialog: dialog.dismiss())
    action(alice, "almost gone", "delete").click()
    send(alice, "marker")
    expect(bodies(bob)).to_have_text(["almost gone", "marker"], timeout=LIVE_TIMEOUT_MS)


def test_staff_delete_anyones_message_from_the_room_page(alice_and_bob, make_user, sign_in):
    alice, bob = alice_and_bob
    make_user("moderator", is_staff=True)
    moderator = open_room(sign_in("moderator"))
    send(bob, "buy cheap watches")
    expect(bodies(moderator)).to_have_text(["buy cheap watches"], timeout=LIVE_TIMEOUT_MS)
    # Staff may delete, not rewrite, other people's words.
    expect(action(moderator, "cheap watches", "edit")).to_have_count(0)
    moderator.on("dialog", lambda dialog: dialog.accept())
    action(moderator, "cheap watches", "delete").click()
    for page in (alice, bob, moderator):
        expect(bodies(page)).to_have_count(0, timeout=LIVE_TIMEOUT_MS)


def test_edit_button_is_gone_once_the_window_has_passed(alice_and_bob):
    from rooms.models import Message

    alice, _ = alice_and_bob
    send(alice, "old news")
    expect(bodies(alice)).to_have_text(["old news"], timeout=LIVE_TIMEOUT_MS)
    message = Message.objects.get(text="old news")
    Message.objects.filter(pk=message.pk).update(created_at=message.created_at - timedelta(minutes=16))
    alice.reload()
    expect(alice.locator("#room")).to_have_attribute("data-ws", "open")
    expect(action(alice, "old news", "edit")).to_have_count(0)
    expect(action(alice, "old news", "delete")).to_have_count(1)


def test_edits_and_deletions_made_while_a_page_was_disconnected_are_caught_up(users, cluster, sign_in):
    # A hidden tab stays connected (mention notifications need it), so the
    # disconnect here is bob's server dying and coming back.
    one, two = cluster
    alice, bob = open_room(sign_in("alice", one)), open_room(sign_in("bob", two))
    for text in ("typo hree", "to be deleted", "untouched"):
        send(alice, text)
    expect(bodies(bob)).to_have_text(["typo hree", "to be deleted", "untouched"], timeout=LIVE_TIMEOUT_MS)

    two.kill()
    expect(bob.locator("#room")).to_have_attribute("data-ws", "reconnecting", timeout=LIVE_TIMEOUT_MS)
    edit(alice, "typo hree", "typo three")
    alice.on("dialog", lambda dialog: dialog.accept())
    action(alice, "to be deleted", "delete").click()
    expect(bodies(alice)).to_have_text(["typo three", "untouched"], timeout=LIVE_TIMEOUT_MS)
    expect(bodies(bob)).to_have_text(["typo hree", "to be deleted", "untouched"])

    two.start()
    expect(bodies(bob)).to_have_text(["typo three", "untouched"], timeout=RECOVERY_TIMEOUT_MS)
    expect(message_with(bob, "typo three").locator(".message-edited")).to_have_count(1)


def test_an_edit_its_server_never_handled_is_sent_again_after_reconnecting(users, cluster, sign_in):
    one, two = cluster
    alice, bob = open_room(sign_in("alice", one)), open_room(sign_in("bob", two))
    send(alice, "meet at 3")
    expect(bodies(bob)).to_have_text(["meet at 3"], timeout=LIVE_TIMEOUT_MS)
    action(alice, "meet at 3", "edit").click()
    box = alice.locator(".edit-form [name=message]")
    expect(box).to_be_focused()

    # Alice's server stops handling anything, then dies: her Save left the
    # browser and was never handled.
    one.freeze()
    box.fill("meet at 4")
    box.press("Enter")
    one.kill()
    expect(alice.locator("#room")).to_have_attribute("data-ws", "reconnecting", timeout=LIVE_TIMEOUT_MS)
    expect(box).to_have_value("meet at 4")

    one.start()
    for page in (alice, bob):
        expect(bodies(page)).to_have_text(["meet at 4"], timeout=RECOVERY_TIMEOUT_MS)
    expect(alice.locator(".edit-form")).to_have_count(0)


def test_edits_and_deletions_reach_pages_on_another_process(users, cluster, sign_in):
    one, two = cluster
    alice, bob = open_room(sign_in("alice", one)), open_room(sign_in("bob", two))
    send(alice, "acros processes")
    send(alice, "short-lived")
    expect(bodies(bob)).to_have_text(["acros processes", "short-lived"], timeout=LIVE_TIMEOUT_MS)
    edit(alice, "acros processes", "across processes")
    alice.on("dialog", lambda dialog: dialog.accept())
    action(alice, "short-lived", "delete").click()
    expect(bodies(bob)).to_have_text(["across processes"], timeout=LIVE_TIMEOUT_MS)
    expect(message_with(bob, "across processes").locator(".message-edited")).to_have_count(1)
