import pytest

from realtime import presence


async def names(people):
    return " ".join(people)


# A room's presence, its list rendered as the names alone.
HERE = presence.Here(1, names)


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

    async def changed(here, group, people):
        sent.append(people)

    monkeypatch.setattr("realtime.presence.changed", changed)
    return sent


async def test_two_announcements_at_once_end_with_who_is_there(backend, sent, monkeypatch):
    """Alice's process reads the room, then Bob's process joins and its
    announcement reaches pages before Alice's: her older list must not be the
    last word."""
    deliver = presence.changed
    bob_joined = []

    async def bob_announces_first(here, group, people):
        if not bob_joined:
            bob_joined.append(True)
            await backend.join(1, [("bob-socket", "bob")])
            await presence.announce(HERE, group)
        await deliver(here, group, people)

    monkeypatch.setattr("realtime.presence.changed", bob_announces_first)
    await backend.join(1, [("alice-socket", "alice")])
    await presence.announce(HERE, "room.1")
    assert sent[0] == ["alice", "bob"] and ["alice"] in sent  # the interleaving happened
    assert sent[-1] == ["alice", "bob"]


async def test_an_announcement_that_failed_to_go_out_is_made_again(backend, sent, monkeypatch):
    """After a Redis restart the first broadcast can fail on a dead pooled
    connection. Bob's page retries and rejoins; Alice's page must then hear
    that Bob is back, not only Bob."""
    deliver = presence.changed
    await backend.join(1, [("alice-socket", "alice")])
    await presence.announce(HERE, "room.1")

    async def connection_lost(here, group, people):
        raise ConnectionError("Connection closed by server.")

    monkeypatch.setattr("realtime.presence.changed", connection_lost)
    await backend.join(1, [("bob-socket", "bob")])
    with pytest.raises(ConnectionError):
        await presence.announce(HERE, "room.1", newcomer=Socket())

    monkeypatch.setattr("realtime.presence.changed", deliver)
    bob_again = Socket()
    await backend.join(1, [("bob-socket-2", "bob")])
    await presence.announce(HERE, "room.1", newcomer=bob_again)
    assert sent == [["alice"], ["alice", "bob"]]


async def test_a_second_tab_tells_only_itself(backend, sent):
    await backend.join(1, [("alice-socket", "alice")])
    await presence.announce(HERE, "room.1")
    second_tab = Socket()
    await backend.join(1, [("alice-socket-2", "alice")])
    await presence.announce(HERE, "room.1", newcomer=second_tab)
    assert sent == [["alice"]]
    assert len(second_tab.frames) == 1 and "alice" in second_tab.frames[0]
