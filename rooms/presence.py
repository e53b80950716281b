"""Who is in a room right now: one entry per user, however many tabs they have.

Each open socket holds one entry (user, socket) with an expiry time. Sockets
refresh theirs every HEARTBEAT seconds; an entry left behind by a process
that died without running disconnect() expires after TTL seconds, so the
list heals itself. With REDIS_URL set the entries live in one Redis sorted
set per room (score = expiry), shared by every server process; otherwise in
this process's memory.
"""

import asyncio
import json
import time
import weakref

from django.conf import settings

HEARTBEAT = 30
TTL = 90
KEY_PREFIX = "chat"


def _key(room_pk):
    return f"{KEY_PREFIX}:presence:{room_pk}"


class LocalPresence:
    """Single process: a dict per room of socket -> (expiry, username)."""

    def __init__(self):
        self.rooms = {}

    async def join(self, room_pk, socket, username):
        self.rooms.setdefault(room_pk, {})[socket] = (time.time() + TTL, username)
        return await self.people(room_pk)

    refresh = join

    async def leave(self, room_pk, socket):
        self.rooms.get(room_pk, {}).pop(socket, None)
        return await self.people(room_pk)

    async def people(self, room_pk):
        now = time.time()
        entries = self.rooms.get(room_pk, {})
        for socket in [s for s, (expiry, _) in entries.items() if expiry <= now]:
            del entries[socket]
        return sorted({username for _, username in entries.values()}, key=str.casefold)


class RedisPresence:
    """Several processes: one sorted set per room, member = socket, score = expiry."""

    def __init__(self, url):
        self.url = url
        # redis.asyncio clients belong to the event loop that made them.
        self.clients = weakref.WeakKeyDictionary()

    def client(self):
        import redis.asyncio

        loop = asyncio.get_running_loop()
        if loop not in self.clients:
            options = {}
            if self.url.startswith("rediss://") and not getattr(settings, "REDIS_SSL_VERIFY", False):
                options["ssl_cert_reqs"] = None
            self.clients[loop] = redis.asyncio.Redis.from_url(self.url, **options)
        return self.clients[loop]

    async def join(self, room_pk, socket, username):
        member = json.dumps([socket, username])
        key = _key(room_pk)
        async with self.client().pipeline(transaction=True) as pipe:
            pipe.zadd(key, {member: time.time() + TTL})
            pipe.expire(key, TTL * 2)
            await pipe.execute()
        return await self.people(room_pk)

    refresh = join

    async def leave(self, room_pk, socket):
        key = _key(room_pk)
        client = self.client()
        members = await client.zrange(key, 0, -1)
        mine = [m for m in members if json.loads(m)[0] == socket]
        if mine:
            await client.zrem(key, *mine)
        return await self.people(room_pk)

    async def people(self, room_pk):
        key = _key(room_pk)
        async with self.client().pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", time.time())
            pipe.zrange(key, 0, -1)
            _, members = await pipe.execute()
        return sorted({json.loads(m)[1] for m in members}, key=str.casefold)


def _make_presence():
    if settings.REDIS_URL:
        return RedisPresence(settings.REDIS_URL)
    return LocalPresence()


_presence = None


def backend():
    global _presence
    if _presence is None:
        _presence = _make_presence()
    return _presence


def reset():
    """Forget the backend (tests switch settings between layers)."""
    global _presence
    _presence = None
