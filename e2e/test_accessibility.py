"""Accessibility: axe-core finds no serious or critical WCAG 2 A/AA violation
on any page in realistic states, in light, dark and phone looks; the room
works from the keyboard alone with a visible focus."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import (
    LIVE_TIMEOUT_MS,
    LOOKS,
    assert_accessible,
    bodies,
    direct_conversation,
    fill_signup,
    message_action,
    message_with,
    open_room,
    seed_conversation,
    send,
)


@pytest.fixture
def archived_room(make_user):
    from rooms.models import Message, Room

    room = Room.objects.create(name="Launch 2023", slug="launch-2023", topic="How we shipped v1", is_archived=True)
    carol = make_user("carol")
    for text in ["Ship it!", "Retro notes are in the wiki."]:
        Message.objects.create(room=room, author=carol, text=text)
    return room


@pytest.mark.parametrize("look", LOOKS)
def test_room_list_and_rooms_pass_the_scan(look, sign_in, archived_room):
    from rooms.models import Room

    Room.objects.filter(slug="lobby").update(topic="Say hello; everything else goes in its own room")
    # A history longer than the screen, from several people, alice among them.
    seed_conversation(Room.objects.get(slug="lobby"))
    alice = sign_in("alice", **LOOKS[look])
    bob = open_room(sign_in("bob"))
    conversation = direct_conversation("alice", "bob", "carol")

    page = alice.new_page()
    page.goto("/")
    expect(page.locator("#room-list a")).to_have_count(2)
    expect(page.locator("#dm-list .unread-count")).to_have_text(["1 unread"])
    assert_accessible(page, f"room list, {look}")

    # Several messages from two people (own and others'), both present, and
    # an error of alice's own in #chat-errors.
    page = open_room(alice)
    send(page, "Is the deploy still on for today?")
    expect(message_with(bob, "still on for today")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    send(bob, "Yes, at 3 pm. https://example.com/a/very/long/link/to/the/runbook/for/the/deploy")
    send(bob, "I'll post in here when it starts.")
    expect(bodies(page).last).to_have_text("I'll post in here when it starts.", timeout=LIVE_TIMEOUT_MS)
    send(page, "   ")
    expect(page.locator("#chat-errors .chat-error")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#presence li")).to_have_text(["alice", "bob"], timeout=LIVE_TIMEOUT_MS)
    assert_accessible(page, f"room page, {look}")

    page = open_room(alice, archived_room.slug)
    expect(page.locator(".archived-note")).to_be_visible()
    assert_accessible(page, f"archived room, {look}")

    # A direct conversation, its offer on a name open, and the people picker.
    page = alice.new_page()
    page.goto(conversation.get_absolute_url())
    page.wait_for_selector('#room[data-ws="open"]', timeout=10_000)
    expect(page.locator("#presence .presence-entry")).to_have_text(["alice"], timeout=LIVE_TIMEOUT_MS)
    page.locator("#messages .person-name").first.click()
    expect(page.locator(".person-menu button")).to_be_focused()
    assert_accessible(page, f"direct conversation, {look}")
    page.goto("/")  # on a phone, the room page has no sidebar
    page.get_by_role("link", name="New message").click()
    expect(page.get_by_role("dialog", name="New message").locator(".person-choice")).to_have_text(
        ["bob", "carol", "dan"], timeout=LIVE_TIMEOUT_MS
    )
    assert_accessible(page, f"new message dialog, {look}")
    page.goto("/dm/new/?q=b")
    expect(page.locator(".person-choice")).to_have_text(["bob"])
    assert_accessible(page, f"new message, {look}")


@pytest.mark.parametrize("look", LOOKS)
def test_reactions_and_replies_pass_the_scan(look, make_user, sign_in, screenshot):
    make_user("alice")
    make_user("bob")
    page, bob = open_room(sign_in("alice", **LOOKS[look])), open_room(sign_in("bob"))
    send(bob, "Release at 3 pm, then cake.")
    # Reactions of others and alice's own (pressed), a reply with its quote,
    # the palette open, and a reply being written above the composer.
    original = message_with(page, "then cake")
    message_action(page, original, "react").click()
    original.locator('.reaction-choice[aria-label="party popper"]').click()
    bob_message = message_with(bob, "then cake")
    message_action(bob, bob_message, "react").click()
    bob_message.locator('.reaction-choice[aria-label="thumbs up"]').click()
    expect(original.locator(".reaction")).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
    expect(original.locator('.reaction[aria-pressed="true"]')).to_have_count(1)
    # The actions of one's own message open (a toolbar on hover, or a sheet).
    message_action(page, original, "reply").click()
    send(page, "Cake first?")
    expect(message_with(page, "Cake first?").locator(".reply-quote")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    message_action(page, message_with(page, "Cake first?"), "delete")
    assert_accessible(page, f"a message's actions open, {look}")
    page.keyboard.press("Escape")
    message_action(page, message_with(page, "Cake first?"), "react").click()
    expect(page.locator(".reaction-palette")).to_be_visible()
    message_action(page, original, "reply").click()
    expect(page.locator("#reply-preview")).to_be_visible()
    assert_accessible(page, f"reactions and replies, {look}")
    if look == "desktop":
        screenshot(page, "reactions-replies")


@pytest.mark.parametrize("look", LOOKS)
def test_login_and_signup_pass_the_scan_also_with_errors(look, browser, server, make_user):
    from accounts.models import Invitation

    make_user("alice")
    context = browser.new_context(base_url=server.url, **LOOKS[look])
    page = context.new_page()
    page.goto("/accounts/login/?next=/rooms/lobby/")
    assert_accessible(page, f"login, {look}")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "not her password")
    page.click("button[type=submit]")
    expect(page.locator(".errorlist")).to_be_visible()
    assert_accessible(page, f"login with errors, {look}")

    page.goto("/accounts/signup/")
    expect(page.locator("h1")).to_have_text("An invitation is needed")
    assert_accessible(page, f"signup without an invitation, {look}")

    page.goto(Invitation.objects.create_for().get_absolute_url())
    assert_accessible(page, f"signup by invitation, {look}")
    fill_signup(page, "alice", "short", "different")
    page.click("button[type=submit]")
    expect(page.locator(".errorlist").first).to_be_visible()
    assert_accessible(page, f"signup by invitation with errors, {look}")
    context.close()


@pytest.mark.parametrize("look", LOOKS)
def test_first_run_and_invitations_pass_the_scan(look, browser, server):
    context = browser.new_context(base_url=server.url, **LOOKS[look])
    page = context.new_page()
    page.goto("/")
    expect(page.locator("#first-run")).to_be_visible()
    assert_accessible(page, f"first run, {look}")
    fill_signup(page, "founder", "founder")
    page.click("button[type=submit]")
    expect(page.locator(".errorlist").first).to_be_visible()
    assert_accessible(page, f"first run with errors, {look}")
    fill_signup(page, "founder")
    page.click("button[type=submit]")
    expect(page.locator("#invite-people")).to_be_visible()
    assert_accessible(page, f"room list with Invite people, {look}")
    page.click("#invite-people")
    expect(page.locator("#copy-invite-link")).to_be_visible()
    assert_accessible(page, f"invitation link, {look}")
    context.close()


FOCUSED = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    // Controls that show only on hover or focus must really show on focus.
    let opacity = 1;
    for (let node = el; node; node = node.parentElement) opacity *= Number(getComputedStyle(node).opacity);
    return {
        name: el === document.body ? "(nothing: focus left the page)" :
            el.id || el.getAttribute("href") || el.textContent.trim().slice(0, 40) || el.tagName,
        visible: (outline || style.boxShadow !== "none") && opacity > 0.5,
    };
}"""


def tab_until(page, selector, key="Tab", limit=80):
    """Presses `key` until `selector` has focus, checking that every element
    on the way shows it has focus; returns the names of the stops."""
    stops = []
    for _ in range(limit):
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED)
        assert focused["visible"], f"no visible focus on {focused['name']} (after {stops})"
        stops.append(focused["name"])
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return stops
    raise AssertionError(f"{selector} not reached with {key} within {limit} stops: {stops}")


def test_keyboard_only_from_the_room_list_to_a_sent_message(make_user, sign_in, server):
    make_user("alice")
    page = sign_in("alice").new_page()
    page.goto("/")
    # The first Tab stop is the skip link, shown while it has focus.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    expect(page.locator(".skip-link")).to_be_in_viewport()
    tab_until(page, "#room-list a[href='/rooms/lobby/']")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server.url}/rooms/lobby/")
    expect(page.locator("#room")).to_have_attribute("data-ws", "open", timeout=10_000)
    # The room opens with the cursor in the composer.
    expect(page.locator("#message-input")).to_be_focused()
    page.keyboard.type("sent without a mouse")
    page.keyboard.press("Enter")
    expect(message_with(page, "sent without a mouse")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#message-input")).to_have_value("")
    expect(page.locator("#message-input")).to_be_focused()


def test_room_page_tab_order_and_skip_link_reach_the_composer(make_user, sign_in):
    from rooms.models import Room

    seed_conversation(Room.objects.get(slug="lobby"))
    page = open_room(sign_in("alice"))
    # From the composer back to the start of the page, then forward again:
    # every stop (message actions included) shows its focus, and the history
    # can be scrolled from the keyboard.
    back = tab_until(page, ".skip-link", key="Shift+Tab")
    forward = tab_until(page, "#message-input")
    assert "messages" in forward, forward
    assert forward[:-1] == list(reversed(back))[1:], (back, forward)
    tab_until(page, "#messages", key="Shift+Tab")
    page.keyboard.press("Home")
    expect(bodies(page).first).to_be_in_viewport()
    expect(bodies(page).last).not_to_be_in_viewport()
    # The skip link goes straight to the composer; Enter sends.
    tab_until(page, ".skip-link", key="Shift+Tab")
    expect(page.locator(".skip-link")).to_have_text("Skip to message box")
    page.keyboard.press("Enter")
    expect(page.locator("#message-input")).to_be_focused()
    page.keyboard.type("skipped straight here")
    page.keyboard.press("Enter")
    expect(message_with(page, "skipped straight here")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
