"""What the browser tab says while it is in the background: the title counts
what arrived unread, the icon gets a dot for a mention, and both go back
once the room is read."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import HIDE, LIVE_TIMEOUT_MS, message_with, open_room, send

ICON = "link#icon"
DOTTED = re.compile(r"^data:image/png;base64,")
# The colour at the dot's centre (tab.js draws it at 48,16 of 64x64), or of
# the plain icon there: [r, g, b, a].
PIXEL_AT_DOT = """href => new Promise((resolve, reject) => {
  const image = new Image();
  image.onload = () => {
    const painted = new OffscreenCanvas(64, 64).getContext("2d");
    painted.drawImage(image, 0, 0, 64, 64);
    resolve(Array.from(painted.getImageData(48, 16, 1, 1).data));
  };
  image.onerror = reject;
  image.src = href;
})"""


@pytest.fixture
def alice_and_bob(make_user, sign_in):
    make_user("alice")
    make_user("bob")
    return open_room(sign_in("alice")), open_room(sign_in("bob"))


def icon_href(page):
    return page.locator(ICON).get_attribute("href")


def test_a_hidden_tab_counts_what_arrives_in_its_title_until_it_is_read(alice_and_bob):
    alice, bob = alice_and_bob
    expect(alice).to_have_title("# Lobby · Chat")
    alice.evaluate(HIDE, True)
    for n in range(3):
        send(bob, f"news {n}")
        expect(alice).to_have_title(f"({n + 1}) # Lobby · Chat", timeout=LIVE_TIMEOUT_MS)
    expect(bob).to_have_title("# Lobby · Chat")  # one's own messages count nothing
    assert icon_href(alice).endswith("/icon.svg"), "no mention: no dot"

    alice.evaluate(HIDE, False)
    expect(alice).to_have_title("# Lobby · Chat")
    send(bob, "seen as it arrives")
    expect(message_with(alice, "seen as it arrives")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(alice).to_have_title("# Lobby · Chat")


def test_a_mention_puts_a_dot_on_the_icon_until_it_is_read(alice_and_bob):
    alice, bob = alice_and_bob
    plain = icon_href(alice)
    assert alice.evaluate(PIXEL_AT_DOT, plain)[:3] == [59, 91, 219]  # the accent blue
    alice.evaluate(HIDE, True)
    send(bob, "@alice can you look?")
    expect(alice).to_have_title("(1) # Lobby · Chat", timeout=LIVE_TIMEOUT_MS)
    expect(alice.locator(ICON)).to_have_attribute("href", DOTTED, timeout=LIVE_TIMEOUT_MS)
    red, green, blue, _ = alice.evaluate(PIXEL_AT_DOT, icon_href(alice))
    assert red > 200 and green < 80 and blue < 80, "a red dot where the icon was blue"

    alice.evaluate(HIDE, False)
    expect(alice.locator(ICON)).to_have_attribute("href", plain)
    expect(alice.locator(ICON)).to_have_attribute("type", "image/svg+xml")
    expect(alice).to_have_title("# Lobby · Chat")


@pytest.fixture
def dev_team():
    from rooms.models import Room

    return Room.objects.create(name="Dev team", slug="dev")


def test_a_mention_in_another_room_dots_the_icon_of_a_visible_tab(dev_team, alice_and_bob):
    alice, bob = alice_and_bob
    dev = open_room(bob.context, "dev")
    send(dev, "@alice the build is red")
    expect(alice.locator(ICON)).to_have_attribute("href", DOTTED, timeout=LIVE_TIMEOUT_MS)
    expect(alice).to_have_title("# Lobby · Chat")  # nothing unread in this room

    # Reading it elsewhere takes the dot off here too.
    elsewhere = open_room(alice.context, "dev")
    expect(elsewhere).to_have_title("# Dev team · Chat")
    expect(alice.locator(ICON)).to_have_attribute("href", icon_href(elsewhere), timeout=LIVE_TIMEOUT_MS)
