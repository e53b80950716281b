import pytest

from realtime import presence


class Socket:
    """What announce() needs of a consumer: a frame goes straight to it."""

    def __init__(self):
        self.frames = []

    async def send_frame(self, frame):
        self.frames.append(frame)


@pytest.fixture(params=["one process", "redis"])
def backend(request):
    if request.param == "redis":
        request.getfixturevalue("use_redis")
    return presence.backend()


@pytest.fixture
def sent(monkeypatch):
    """The lists broadcast to the room, in the order pages receive them."""
    sent = []

    async def presence_changed(group, people):
        sent.append(people)

    monkeypatch.setattr("realtime.broadcast.presence_changed", presence_changed)
    return sent


async def test_two_announcements_at_once_end_with_who_is_there(backend, sent, monkeypatch):
    """Alice's process reads the room, then Bob's process joins and its
    announcement reaches pages before Alice's: her older list must not be the
    last word."""
    deliver = presence.broadcast.presence_changed
    bob_joined = []

    async def bob_announces_first(group, people):
        if not bob_joined:
            bob_joined.append(True)
            await backend.join(1, [("bob-socket", "bob")])
            await presence.announce(1, group)
        await deliver(group, people)

    monkeypatch.setattr("realtime.broadcast.presence_changed", bob_announces_first)
    await backend.join(1, [("alice-socket", "alice")])
    await presence.announce(1, "room.1")
    assert sent[0] == ["alice", "bob"] and ["alice"] in sent  # the interleaving happened
    assert sent[-1] == ["alice", "bob"]


async def test_an_announcement_that_failed_to_go_out_is_made_again(backend, sent, monkeypatch):
    """After a Redis restart the first broadcast can fail on a dead pooled
    connection. Bob's page retries and rejoins; Alice's page must then hear
    that Bob is back, not only Bob."""
    deliver = presence.broadcast.presence_changed
    await backend.join(1, [("alice-socket", "alice")])
    await presence.announce(1, "room.1")

    async def connection_lost(group, people):
        raise ConnectionError("Connection closed by server.")

    monkeypatch.setattr("realtime.broadcast.presence_changed", connection_lost)
    await backend.join(1, [("bob-socket", "bob")])
    with pytest.raises(ConnectionError):
        await presence.announce(1, "room.1", newcomer=Socket())

    monkeypatch.setattr("realtime.broadcast.presence_changed", deliver)
    bob_again = Socket()
    await backend.join(1, [("bob-socket-2", "bob")])
    await presence.announce(1, "room.1", newcomer=bob_again)
    assert sent == [["alice"], ["alice", "bob"]]


# The list a newcomer is sent names its people from the database (display names, avatars).
@pytest.mark.django_db(transaction=True)
async def test_a_second_tab_tells_only_itself(backend, sent):
    await backend.join(1, [("alice-socket", "alice")])
    await presence.announce(1, "room.1")
    second_tab = Socket()
    await backend.join(1, [("alice-socket-2", "alice")])
    await presence.announce(1, "room.1", newcomer=second_tab)
    assert sent == [["alice"]]
    assert len(second_tab.frames) == 1 and "alice" in second_tab.frames[0]
