"""Older history: the room page shows the latest 50; "Load older" brings the rest."""

from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, bodies, message_with, open_room, send


def test_load_older_prepends_the_previous_page_and_keeps_the_readers_place(make_user, sign_in):
    from rooms.models import Message, Room

    alice = make_user("alice")
    lobby = Room.objects.get(slug="lobby")
    Message.objects.bulk_create(Message(room=lobby, author=alice, text=f"history {n}") for n in range(60))
    page = open_room(sign_in("alice"))
    expect(bodies(page)).to_have_count(50)
    expect(bodies(page).first).to_have_text("history 10")

    page.locator("#messages").evaluate("el => el.scrollTop = 0")
    # What the reader reads: the text (the day heading above it moves up to the older page).
    anchor = message_with(page, "history 10").locator(".message-body")
    top_before = anchor.evaluate("el => el.getBoundingClientRect().top")
    page.click("#load-older")
    expect(bodies(page)).to_have_count(60, timeout=LIVE_TIMEOUT_MS)
    expect(bodies(page)).to_have_text([f"history {n}" for n in range(60)])
    # Reached the first message: no more "Load older".
    expect(page.locator("#load-older")).to_have_count(0)
    # The message that was at the top stays where the reader saw it.
    top_after = anchor.evaluate("el => el.getBoundingClientRect().top")
    assert abs(top_after - top_before) < 5, (top_before, top_after)

    # Live messages still arrive at the end, once.
    send(page, "newest")
    expect(bodies(page).last).to_have_text("newest", timeout=LIVE_TIMEOUT_MS)
    expect(message_with(page, "newest")).to_have_count(1)


def test_load_older_works_without_javascript(make_user, browser, server):
    from rooms.models import Message, Room

    alice = make_user("alice")
    lobby = Room.objects.get(slug="lobby")
    Message.objects.bulk_create(Message(room=lobby, author=alice, text=f"old {n}") for n in range(55))
    context = browser.new_context(base_url=server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "pw-alice-e2e")
    page.click("button[type=submit]")
    page.goto("/rooms/lobby/")
    page.click("#load-older")
    expect(page.locator("#messages .message-body")).to_have_text([f"old {n}" for n in range(5)])
    context.close()


def test_new_messages_pill_when_reading_further_up(make_user, sign_in):
    from rooms.models import Message, Room

    alice = make_user("alice")
    make_user("bob")
    lobby = Room.objects.get(slug="lobby")
    Message.objects.bulk_create(Message(room=lobby, author=alice, text=f"earlier {n}") for n in range(40))
    bob = open_room(sign_in("bob"))
    alice_page = open_room(sign_in("alice"))
    pill = bob.locator("#new-messages")
    expect(pill).to_be_hidden()

    bob.locator("#messages").evaluate("el => el.scrollTop = 0")
    send(alice_page, "while bob reads")
    send(alice_page, "and another")
    expect(pill).to_have_text("2 new messages ↓", timeout=LIVE_TIMEOUT_MS)
    expect(pill).to_be_visible()
    pill.click()
    expect(pill).to_be_hidden()
    expect(message_with(bob, "and another")).to_be_in_viewport()

    # At the bottom, new messages just appear: no pill.
    send(alice_page, "seen at once")
    expect(message_with(bob, "seen at once")).to_be_in_viewport(timeout=LIVE_TIMEOUT_MS)
    expect(pill).to_be_hidden()
