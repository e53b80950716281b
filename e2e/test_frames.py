"""Several changes gathered into one WebSocket frame all show, in order.

The hub sends the fragments of CHAT_BROADCAST_COALESCE_MS as one frame.
This server gathers a whole second, so a few quick changes surely share a
frame; when two of them replace the same element, the page must end with
the later one (frontend/static/frontend/frames.js).
"""

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, message_with, open_room, send


@pytest.fixture
def gathering_server(server_with):
    return server_with(CHAT_BROADCAST_COALESCE_MS="1000")


def test_someone_who_comes_says_hi_and_leaves_within_one_frame(make_user, gathering_server, sign_in):
    make_user("alice")
    make_user("bob")
    bob = open_room(sign_in("bob", gathering_server))
    expect(bob.locator("#presence li")).to_have_text(["bob"], timeout=LIVE_TIMEOUT_MS)
    alice = open_room(sign_in("alice", gathering_server))
    send(alice, "hi and bye")
    alice.close()
    # "alice is here", her message and "alice left" reach Bob together.
    expect(message_with(bob, "hi and bye")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(bob.locator("#presence li")).to_have_text(["bob"], timeout=LIVE_TIMEOUT_MS)
