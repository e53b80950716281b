"""Reactions: "React" on a message, a palette of emoji, and counts that
change live on every open page, each person's own reaction pressed."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, bodies, message_with, open_room, send


@pytest.fixture
def alice_and_bob(make_user, sign_in):
    make_user("alice")
    make_user("bob")
    return open_room(sign_in("alice")), open_room(sign_in("bob"))


def open_palette(page, text):
    message = message_with(page, text)
    message.hover()
    message.locator('button[data-action="react"]').click()
    palette = message.locator(".reaction-palette")
    expect(palette).to_be_visible()
    return palette


def reaction(page, text):
    return message_with(page, text).locator(".reaction")


def swap(page, block, html):
    """Swaps `html` in out of band, as a fragment from the socket is."""
    html = html.replace("<div ", '<div hx-swap-oob="outerHTML" ', 1)
    page.evaluate(
        """(html) => htmx.swap({sourceElement: document.getElementById("room"), text: html,
                                          target: document.getElementById("room"), swap: "none"})""",
        html,
    )


def test_a_reaction_shows_on_every_page_pressed_only_for_the_one_who_reacted(alice_and_bob):
    alice, bob = alice_and_bob
    send(alice, "lunch at noon?")
    expect(bodies(bob)).to_have_text(["lunch at noon?"], timeout=LIVE_TIMEOUT_MS)

    palette = open_palette(bob, "lunch at noon?")
    expect(palette.locator(".reaction-choice")).to_have_count(8)
    expect(palette.locator(".reaction-choice").first).to_be_focused()
    palette.locator('.reaction-choice[aria-label="thumbs up"]').click()
    expect(palette).to_have_count(0)
    for page in (alice, bob):
        expect(reaction(page, "lunch")).to_have_text("👍 1", timeout=LIVE_TIMEOUT_MS)
        expect(reaction(page, "lunch")).to_have_attribute("title", "bob reacted with thumbs up")
    expect(reaction(bob, "lunch")).to_have_attribute("aria-pressed", "true")
    expect(reaction(alice, "lunch")).to_have_attribute("aria-pressed", "false")

    # alice adds hers by clicking the reaction: both pressed, the count is 2.
    reaction(alice, "lunch").click()
    for page in (alice, bob):
        expect(reaction(page, "lunch")).to_have_text("👍 2", timeout=LIVE_TIMEOUT_MS)
        expect(reaction(page, "lunch")).to_have_attribute("aria-pressed", "true")
        expect(reaction(page, "lunch")).to_have_attribute("title", "bob and alice reacted with thumbs up")

    # bob takes his back from the keyboard; the focus stays on the reaction.
    reaction(bob, "lunch").focus()
    bob.keyboard.press("Enter")
    for page in (alice, bob):
        expect(reaction(page, "lunch")).to_have_text("👍 1", timeout=LIVE_TIMEOUT_MS)
    expect(reaction(bob, "lunch")).to_have_attribute("aria-pressed", "false")
    expect(reaction(alice, "lunch")).to_have_attribute("aria-pressed", "true")
    expect(reaction(bob, "lunch")).to_be_focused()

    # A late broadcast of an older state (another process's, overtaken) is
    # ignored; a newer one is shown.
    block = message_with(alice, "lunch").locator(".reactions")
    stale = block.evaluate("(el) => el.dataset.revision - 1")
    swap(alice, block, f'<div id="{block.get_attribute("id")}" class="reactions" data-revision="{stale}"></div>')
    expect(reaction(alice, "lunch")).to_have_text("👍 1")
    swap(alice, block, f'<div id="{block.get_attribute("id")}" class="reactions" data-revision="999"></div>')
    expect(reaction(alice, "lunch")).to_have_count(0)

    # A fresh page load shows the same, pressed for its own viewer.
    alice.reload()
    expect(reaction(alice, "lunch")).to_have_attribute("aria-pressed", "true")
    expect(reaction(alice, "lunch")).to_have_text("👍 1")


def test_any_emoji_can_be_typed_and_anything_else_is_refused_clearly(alice_and_bob):
    alice, bob = alice_and_bob
    send(alice, "ducks or geese?")
    expect(bodies(bob)).to_have_text(["ducks or geese?"], timeout=LIVE_TIMEOUT_MS)

    palette = open_palette(bob, "ducks")
    palette.get_by_label("Any emoji").fill("🦆")
    palette.get_by_label("Any emoji").press("Enter")
    expect(reaction(alice, "ducks")).to_have_text("🦆 1", timeout=LIVE_TIMEOUT_MS)
    expect(reaction(alice, "ducks")).to_have_attribute("aria-label", "duck 1: bob")

    palette = open_palette(bob, "ducks")
    palette.get_by_label("Any emoji").fill("geese")
    palette.get_by_label("Any emoji").press("Enter")
    expect(bob.locator("#chat-errors")).to_contain_text("single emoji", timeout=LIVE_TIMEOUT_MS)
    expect(reaction(bob, "ducks")).to_have_count(1)

    # Escape closes the palette and gives the focus back to "React".
    palette = open_palette(bob, "ducks")
    bob.keyboard.press("Escape")
    expect(palette).to_have_count(0)
    expect(message_with(bob, "ducks").locator('button[data-action="react"]')).to_be_focused()


def test_reactions_made_while_a_page_was_disconnected_are_caught_up(make_user, cluster, sign_in):
    from e2e.test_nothing_lost import RECOVERY_TIMEOUT_MS

    make_user("alice")
    make_user("bob")
    one, two = cluster
    alice, bob = open_room(sign_in("alice", one)), open_room(sign_in("bob", two))
    send(alice, "pizza or sushi?")
    send(alice, "or both?")
    expect(bodies(bob)).to_have_text(["pizza or sushi?", "or both?"], timeout=LIVE_TIMEOUT_MS)
    # One reaction seen live first: the page then shows a newer revision of
    # the message in its reactions block than in the message itself.
    open_palette(alice, "pizza").locator('.reaction-choice[aria-label="thumbs up"]').click()
    expect(reaction(bob, "pizza")).to_have_text("👍 1", timeout=LIVE_TIMEOUT_MS)

    # Bob's server dies; alice changes her mind and reacts to the other one.
    two.kill()
    expect(bob.locator("#room")).to_have_attribute("data-ws", "reconnecting", timeout=LIVE_TIMEOUT_MS)
    reaction(alice, "pizza").click()
    expect(reaction(alice, "pizza")).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    open_palette(alice, "or both?").locator('.reaction-choice[aria-label="red heart"]').click()
    expect(reaction(alice, "or both?")).to_have_text("❤️ 1", timeout=LIVE_TIMEOUT_MS)
    expect(reaction(bob, "pizza")).to_have_text("👍 1")

    two.start()
    expect(reaction(bob, "pizza")).to_have_count(0, timeout=RECOVERY_TIMEOUT_MS)
    expect(reaction(bob, "or both?")).to_have_text("❤️ 1", timeout=LIVE_TIMEOUT_MS)
    expect(reaction(bob, "or both?")).to_have_attribute("aria-pressed", "false")
    expect(bodies(bob)).to_have_text(["pizza or sushi?", "or both?"])
