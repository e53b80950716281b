"""Search and links to messages: a search finds a message and its link
opens the room around it; a private room's messages never show for a
non-member; reading from a permalink back down to the present joins the
live stream with nothing missed or doubled. With --screenshots DIR (make
screenshots) the results page is saved as search.png."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, LOOKS, bodies, message_with, open_room, seed_conversation, send


def seed_history(room, author, count, special=None):
    """`count` messages in `room`, the one at index `special[0]` saying special[1]; returns them."""
    from rooms.models import Message

    texts = [f"Routine update number {n}" for n in range(count)]
    if special:
        texts[special[0]] = special[1]
    return Message.objects.bulk_create([Message(room=room, author=author, text=t) for t in texts])


@pytest.fixture
def lobby():
    from rooms.models import Room

    return Room.objects.get(slug="lobby")


def test_search_finds_a_message_and_its_link_opens_the_room_around_it(lobby, make_user, sign_in, screenshot):
    from rooms.models import Room

    users = seed_conversation(lobby)
    releases = Room.objects.create(name="Releases", slug="releases", topic="Release planning")
    history = seed_history(
        releases, users["carol"], 200, special=(60, "The staging snapshot moved to 13:30 <for real>")
    )
    target = history[60]
    alice = sign_in("alice", **LOOKS["desktop"]).new_page()
    alice.goto("/")

    # "/" focuses the box in the top bar, wherever the reader is.
    alice.keyboard.press("/")
    box = alice.locator("#search [name=q]")
    expect(box).to_be_focused()
    box.fill("staging")
    box.press("Enter")
    expect(alice).to_have_url("/search/?q=staging")
    results = alice.locator("#search-results .search-result")
    expect(results).to_have_count(2)
    # Newest first: the snapshot note, then the morning's reminder; matches marked, text escaped.
    expect(results.first).to_contain_text("# Releases")
    expect(results.first).to_contain_text("carol")
    expect(results.first.locator("mark")).to_have_text(["staging"])
    expect(results.first).to_contain_text("13:30 <for real>")
    expect(results.nth(1)).to_contain_text("# Lobby")
    # A phrase and an exclusion narrow it down.
    alice.goto('/search/?q="staging database" -snapshot')
    expect(results).to_have_count(0)
    alice.goto('/search/?q="staging database"')
    expect(results).to_have_count(1)
    # The phrase is marked (FTS5 marks it whole, PostgreSQL word by word).
    assert " ".join(results.first.locator("mark").all_inner_texts()) == "staging database"
    alice.goto("/search/?q=staging")
    screenshot(alice, "search")

    results.first.click()
    expect(alice).to_have_url(f"/rooms/releases/messages/{target.pk}/")
    linked = alice.locator(f"#message-{target.pk}")
    expect(linked).to_have_class(re.compile(r"\bmessage-linked\b"))
    expect(linked).to_be_in_viewport()
    # History on both sides, and the composer: it is the room page.
    expect(message_with(alice, "Routine update number 59")).to_have_count(1)
    expect(message_with(alice, "Routine update number 61")).to_have_count(1)
    expect(alice.locator("#message-form")).to_be_visible()
    expect(alice.locator("#load-newer")).to_have_count(1)

    # Ctrl+K from the composer goes back to search.
    alice.locator("#message-input").focus()
    alice.keyboard.press("Control+k")
    expect(box).to_be_focused()


def test_copy_link_copies_the_permalink(lobby, make_user, sign_in, server):
    make_user("alice")
    make_user("bob")
    (message,) = seed_history(lobby, None, 1)
    context = sign_in("bob")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = open_room(context)
    article = page.locator(f"#message-{message.pk}")
    article.hover()
    article.locator('button[data-action="copy-link"]').click()
    expect(article.locator('button[data-action="copy-link"]')).to_have_text("Link copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"{server.url}/rooms/lobby/messages/{message.pk}/"
    # Someone else's message: no edit or delete.
    expect(article.locator("button[data-action]")).to_have_text(["Reply", "React", "Link copied"])


def test_a_private_rooms_messages_never_show_for_a_non_member(lobby, make_user, sign_in):
    from rooms.models import Message, Room

    alice = make_user("alice")
    make_user("bob")
    secret = Room.objects.create(name="Hiring", slug="hiring", is_private=True)
    secret.members.add(alice)
    hidden = Message.objects.create(room=secret, author=alice, text="Offer for the falcon candidate")
    Message.objects.create(room=lobby, author=alice, text="The falcon has landed")

    bob_page = sign_in("bob").new_page()
    bob_page.goto("/search/?q=falcon")
    expect(bob_page.locator("#search-results .search-result")).to_have_count(1)
    expect(bob_page.locator("#search-results")).not_to_contain_text("Offer")
    bob_page.goto("/search/?q=falcon+in:hiring")
    expect(bob_page.locator(".search-result")).to_have_count(0)
    expect(bob_page.locator("#search-room option[value=hiring]")).to_have_count(0)
    response = bob_page.goto(f"/rooms/hiring/messages/{hidden.pk}/")
    assert response.status == 404

    alice_page = sign_in("alice").new_page()
    alice_page.goto("/search/?q=falcon")
    expect(alice_page.locator("#search-results .search-result")).to_have_count(2)
    # Taken out of the room: gone from the next search at once.
    secret.members.remove(alice)
    alice_page.reload()
    expect(alice_page.locator("#search-results .search-result")).to_have_count(1)


def test_scrolling_from_a_permalink_to_the_present_joins_the_live_stream(lobby, make_user, sign_in):
    make_user("alice")
    bob = make_user("bob")
    history = seed_history(lobby, bob, 180, special=(30, "The old decision we need"))
    bob_page = open_room(sign_in("bob"))
    alice_page = sign_in("alice").new_page()
    alice_page.goto(f"/rooms/lobby/messages/{history[30].pk}/")
    expect(alice_page.locator("#room")).to_have_attribute("data-ws", "open", timeout=10_000)
    expect(alice_page.locator(".message-linked")).to_be_in_viewport()

    # Sent while alice reads the past: it belongs after the gap, not below her window.
    send(bob_page, "Posted while alice was reading history")
    expect(message_with(bob_page, "Posted while alice was reading history")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(message_with(alice_page, "Routine update number 179")).to_have_count(0)
    expect(message_with(alice_page, "Posted while alice")).to_have_count(0)

    # Scrolling down loads newer pages until the present.
    messages = alice_page.locator("#messages")
    for _ in range(10):
        if alice_page.locator("#load-newer").count() == 0:
            break
        newest = alice_page.evaluate("() => document.querySelector('#messages > .message:last-of-type').id")
        messages.evaluate("el => { el.scrollTop = el.scrollHeight; }")
        alice_page.wait_for_function(
            "newest => !document.getElementById('load-newer') ||"
            " document.querySelector('#messages > .message:last-of-type').id !== newest",
            arg=newest,
        )
    expect(alice_page.locator("#load-newer")).to_have_count(0)
    expect(message_with(alice_page, "Posted while alice was reading history")).to_have_count(1)

    # From here the live stream appends, once.
    send(bob_page, "Back in the present")
    expect(message_with(alice_page, "Back in the present")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    ids = alice_page.evaluate("() => Array.from(document.querySelectorAll('#messages .message'), el => el.id)")
    assert len(ids) == len(set(ids))
    numbers = [int(i.removeprefix("message-")) for i in ids]
    assert numbers == sorted(numbers)
    # Every message from the linked one to the newest, none missing.
    assert numbers[numbers.index(history[30].pk) :] == list(range(history[30].pk, numbers[-1] + 1))
    expect(bodies(alice_page).last).to_have_text("Back in the present")


def test_jump_to_latest_from_a_permalink_loads_the_present_and_scrolls_there(lobby, make_user, sign_in):
    make_user("alice")
    bob = make_user("bob")
    history = seed_history(lobby, bob, 180, special=(30, "The old decision we need"))
    bob_page = open_room(sign_in("bob"))
    alice_page = sign_in("alice").new_page()
    alice_page.goto(f"/rooms/lobby/messages/{history[30].pk}/")
    expect(alice_page.locator("#room")).to_have_attribute("data-ws", "open", timeout=10_000)
    jump = alice_page.get_by_role("link", name="Jump to latest")
    # The newest message is not loaded: the way there is on screen (a plain
    # link to the room without JavaScript).
    expect(jump).to_be_visible()
    expect(jump).to_have_attribute("href", "/rooms/lobby/")
    send(bob_page, "Posted while alice was reading history")
    expect(message_with(bob_page, "Posted while alice")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)

    jump.click()
    # The room's latest page, scrolled to its end, with what arrived meanwhile.
    expect(message_with(alice_page, "Posted while alice was reading history")).to_be_in_viewport(
        timeout=LIVE_TIMEOUT_MS
    )
    expect(message_with(alice_page, "Routine update number 179")).to_have_count(1)
    expect(message_with(alice_page, "The old decision we need")).to_have_count(0)
    expect(alice_page.locator("#load-newer")).to_have_count(0)
    expect(alice_page.locator("#load-older")).to_have_count(1)
    expect(jump).to_be_hidden()
    expect(alice_page.locator("#messages")).to_be_focused()
    # The live stream appends again, once.
    send(bob_page, "Back in the present")
    expect(bodies(alice_page).last).to_have_text("Back in the present", timeout=LIVE_TIMEOUT_MS)
    ids = alice_page.evaluate("() => Array.from(document.querySelectorAll('#messages .message'), el => el.id)")
    numbers = [int(i.removeprefix("message-")) for i in ids]
    assert numbers == sorted(set(numbers)) and numbers[-1] - numbers[0] == len(numbers) - 1

    # Reading further up than a screen: the way back down is offered again.
    alice_page.locator("#messages").evaluate("el => { el.scrollTop = 0; }")
    expect(jump).to_be_visible()
    jump.click()
    expect(bodies(alice_page).last).to_be_in_viewport()
    expect(jump).to_be_hidden()
