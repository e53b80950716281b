"""Who is in a room right now: one entry per user, however many tabs they have.

Each open socket holds one entry (socket -> username) with an expiry time.
Every CHAT_PRESENCE_HEARTBEAT seconds each process's hub refreshes the
entries of all its sockets in a room at once; an entry left behind by a
process that died without running disconnect() expires after
CHAT_PRESENCE_TTL seconds, and the next heartbeat anywhere in the room
announces the shorter list. With REDIS_URL set the entries live in one Redis
sorted set per room (score = expiry), shared by every server process;
otherwise in this process's memory.

Announcements are deduplicated through a shared "last announced" value, so
a second tab, a refresh or a reconnect that changes nobody's presence costs
one message to that socket instead of one to every socket in the room. The
value is written only after the broadcast went out: a broadcast that failed
(Redis restarting) must not make the next announcement look unnecessary.
"""

import json
import time
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from django.conf import settings

from core.redis_clients import async_client

from . import broadcast

KEY_PREFIX = "chat"


def ttl():
    return settings.CHAT_PRESENCE_TTL


def _key(room_pk, kind="presence"):
    return f"{KEY_PREFIX}:{kind}:{room_pk}"


def _sorted(usernames):
    return sorted(set(usernames), key=str.casefold)


class LocalPresence:
    """Single process: a dict per room of socket -> (expiry, username)."""

    def __init__(self):
        self.rooms = {}
        self.announced = {}

    async def join(self, room_pk, entries):
        """Add or refresh (socket, username) entries; returns how many were new."""
        room = self.rooms.setdefault(room_pk, {})
        new = sum(socket not in room for socket, _ in entries)
        expiry = time.time() + ttl()
        room.update({socket: (expiry, username) for socket, username in entries})
        return new

    async def leave(self, room_pk, socket):
        self.rooms.get(room_pk, {}).pop(socket, None)

    async def people(self, room_pk):
        now = time.time()
        entries = self.rooms.get(room_pk, {})
        for socket in [s for s, (expiry, _) in entries.items() if expiry <= now]:
            del entries[socket]
        return _sorted(username for _, username in entries.values())

    async def last_announced(self, room_pk):
        return self.announced.get(room_pk)

    async def mark_announced(self, room_pk, people):
        self.announced[room_pk] = people


class RedisPresence:
    """Several processes: one sorted set per room, member = socket, score = expiry."""

    def __init__(self, url):
        self.url = url

    def client(self):
        return async_client(self.url)

    async def join(self, room_pk, entries):
        key = _key(room_pk)
        expiry = time.time() + ttl()
        async with self.client().pipeline(transaction=True) as pipe:
            pipe.zadd(key, {json.dumps([socket, username]): expiry for socket, username in entries})
            pipe.expire(key, ttl() * 2)
            added, _ = await pipe.execute()
        return added

    async def leave(self, room_pk, socket):
        key = _key(room_pk)
        client = self.client()
        mine = [m for m in await client.zrange(key, 0, -1) if json.loads(m)[0] == socket]
        if mine:
            await client.zrem(key, *mine)

    async def people(self, room_pk):
        key = _key(room_pk)
        async with self.client().pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", time.time())
            pipe.zrange(key, 0, -1)
            _, members = await pipe.execute()
        return _sorted(json.loads(m)[1] for m in members)

    async def last_announced(self, room_pk):
        # Read by every heartbeat: keep it alive while the room is unchanged.
        value = await self.client().getex(_key(room_pk, "announced"), ex=ttl() * 2)
        return None if value is None else json.loads(value)

    async def mark_announced(self, room_pk, people):
        await self.client().set(_key(room_pk, "announced"), json.dumps(people), ex=ttl() * 2)


_backend = None


def backend():
    global _backend
    if _backend is None:
        _backend = RedisPresence(settings.REDIS_URL) if settings.REDIS_URL else LocalPresence()
    return _backend


# Rounds one announcement may take while others keep joining and leaving.
ANNOUNCE_ROUNDS = 3


class Here(NamedTuple):
    """A group whose presence is kept: the key its entries are kept under (a
    room's pk), and how its "who is here" fragment is rendered from the
    sorted usernames (the feature's own partial: rooms/broadcasts.py)."""

    key: int
    render: Callable[[list[str]], Awaitable[str]]


async def changed(here, group, people):
    """Tell every page in `group` who is here now."""
    await broadcast.send(group, broadcast.FRAGMENT, await here.render(people))


async def announce(here, group, newcomer=None):
    """Broadcast who is here if that changed; else tell only `newcomer`.

    Two processes may announce at once, each from its own read of the set,
    and the older list can reach pages last (after a Redis restart every
    page rejoins at the same moment). So after broadcasting, read again, and
    broadcast once more until what was sent is what is there.
    """
    people = await backend().people(here.key)
    if people == await backend().last_announced(here.key):
        if newcomer is not None:
            await newcomer.send_frame(await here.render(people))
        return
    for _ in range(ANNOUNCE_ROUNDS):
        await changed(here, group, people)
        await backend().mark_announced(here.key, people)
        now = await backend().people(here.key)
        if now == people:
            return
        people = now


async def refresh(here, group, sockets):
    """One heartbeat for this process's sockets in a group. Returns False when
    Redis had lost entries (it restarted: the sockets must rejoin)."""
    new = await backend().join(here.key, [(s.socket_id, s.username) for s in sockets])
    if new:
        return False
    await announce(here, group)
    return True
