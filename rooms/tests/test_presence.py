from rooms import presence


async def test_two_announcements_at_once_end_with_who_is_there(monkeypatch):
    """Alice's process reads the room, then Bob's process joins and announces
    before Alice's marks: Alice's older list must not be the last word."""
    sent = []

    async def presence_changed(group, people):
        sent.append(people)

    monkeypatch.setattr("rooms.broadcast.presence_changed", presence_changed)
    backend = presence.backend()
    mark = backend.mark_announced
    interleaved = []

    async def mark_after_bob_announced(room_pk, people):
        if not interleaved:
            interleaved.append(True)
            await backend.join(1, [("bob-socket", "bob")])
            await presence.announce(1, "room.1")
        return await mark(room_pk, people)

    monkeypatch.setattr(backend, "mark_announced", mark_after_bob_announced)
    await backend.join(1, [("alice-socket", "alice")])
    await presence.announce(1, "room.1")
    assert sent[-1] == ["alice", "bob"]
    assert ["alice"] in sent  # the interleaving happened
