"""Formatted messages as two people see them: links, code, emphasis, and
nothing else, live and after a reload."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, message_with, open_room, send


@pytest.fixture
def alice_and_bob(make_user, sign_in):
    make_user("alice")
    make_user("bob")
    return open_room(sign_in("alice")), open_room(sign_in("bob"))


def test_formatting_reaches_the_other_person_live_and_survives_a_reload(alice_and_bob, server):
    alice, bob = alice_and_bob
    url = f"{server.url}/healthz?a=1&b=2"
    send(alice, f"**done** *mostly*, run `make test` and see {url}. <b>not bold</b> javascript:alert(1)")
    expect(message_with(bob, "done")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    for moment in ("live", "after a reload"):
        if moment == "after a reload":
            bob.reload()
        body = message_with(bob, "done").locator(".message-body")
        expect(body.locator("strong")).to_have_text("done")
        expect(body.locator("em")).to_have_text("mostly")
        expect(body.locator("code")).to_have_text("make test")
        link = body.locator("a")
        expect(link).to_have_count(1)
        expect(link).to_have_text(url)
        expect(link).to_have_attribute("href", url)
        expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
        expect(link).to_have_attribute("target", "_blank")
        expect(body).to_have_text(f"done mostly, run make test and see {url}. <b>not bold</b> javascript:alert(1)")
        assert body.locator("b").count() == 0, moment


def test_a_link_opens_in_a_new_tab_that_cannot_reach_the_chat(alice_and_bob, server):
    alice, bob = alice_and_bob
    send(alice, f"health: {server.url}/healthz")
    link = message_with(bob, "health").locator("a")
    expect(link).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    with bob.context.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == f"{server.url}/healthz"
    assert tab.evaluate("window.opener") is None
    assert bob.url.endswith("/rooms/lobby/")


def test_a_fenced_block_scrolls_inside_the_message_on_a_narrow_screen(alice_and_bob):
    alice, bob = alice_and_bob
    bob.set_viewport_size({"width": 360, "height": 640})
    code = "print('" + "x" * 150 + "')"
    send(alice, f"```{code}``` is too long")
    block = message_with(bob, "too long").locator("pre code")
    expect(block).to_have_text(code, timeout=LIVE_TIMEOUT_MS)
    pre = message_with(bob, "too long").locator("pre")
    assert pre.evaluate("el => el.scrollWidth > el.clientWidth"), "the block should scroll horizontally"
    assert bob.evaluate("document.documentElement.scrollWidth") <= 360, "the page must not get wider"
    assert pre.evaluate("el => getComputedStyle(el).overflowX") == "auto"


def test_a_multi_line_fenced_block_keeps_its_lines(alice_and_bob):
    from django.contrib.auth import get_user_model

    from rooms.models import Message, Room

    _alice, bob = alice_and_bob
    author = get_user_model().objects.get(username="alice")
    Message.objects.post(Room.objects.get(slug="lobby"), author, "look:\n```\nif a < b:\n    go()\n```\n*done*")
    bob.reload()
    body = message_with(bob, "look:").locator(".message-body")
    expect(body.locator("pre code")).to_have_text("if a < b:\n    go()")
    expect(body.locator("em")).to_have_text("done")
    assert body.locator("pre").evaluate("el => el.innerText") == "if a < b:\n    go()"
