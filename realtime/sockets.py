"""How many sockets each user has open, across every server process.

A user may hold at most CHAT_MAX_SOCKETS_PER_USER sockets;
the next one is refused (4429). Each open socket holds one entry with an
expiry time, refreshed by the hub's heartbeat, so the sockets of a process
that died without cleaning up stop counting after CHAT_PRESENCE_TTL. With
REDIS_URL set the entries are one Redis sorted set per user (score =
expiry), checked and added in one atomic script; otherwise this process's
memory.
"""

import time

from django.conf import settings

from core.redis_clients import async_client

TOO_MANY = "You have too many chat tabs or windows open; close some, then reload this page."


def cap():
    return settings.CHAT_MAX_SOCKETS_PER_USER


def ttl():
    return settings.CHAT_PRESENCE_TTL


class LocalSockets:
    def __init__(self):
        self.users = {}  # user pk -> {socket id: expiry}

    def _live(self, user_pk):
        now = time.time()
        entries = self.users.setdefault(user_pk, {})
        for socket_id in [s for s, expiry in entries.items() if expiry <= now]:
            del entries[socket_id]
        return entries

    async def open(self, user_pk, socket_id):
        entries = self._live(user_pk)
        if len(entries) >= cap():
            return False
        entries[socket_id] = time.time() + ttl()
        return True

    async def close(self, user_pk, socket_id):
        self.users.get(user_pk, {}).pop(socket_id, None)

    async def refresh(self, sockets_by_user):
        expiry = time.time() + ttl()
        for user_pk, socket_ids in sockets_by_user.items():
            self.users.setdefault(user_pk, {}).update(dict.fromkeys(socket_ids, expiry))


# KEYS[1] the user's set; ARGV: now, expiry, cap, socket id, key ttl.
OPEN = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


class RedisUserSets:
    """One Redis sorted set per user of their sockets (score = expiry), for
    the heartbeat to refresh: the socket counts here, and which sockets are
    on screen (realtime/visibility.py). KIND names the sets."""

    KIND = None

    def __init__(self, url):
        self.url = url

    def client(self):
        return async_client(self.url)

    def key(self, user_pk):
        from . import presence

        return f"{presence.KEY_PREFIX}:{self.KIND}:{user_pk}"

    async def refresh(self, sockets_by_user):
        expiry = time.time() + ttl()
        async with self.client().pipeline(transaction=False) as pipe:
            for user_pk, socket_ids in sockets_by_user.items():
                pipe.zadd(self.key(user_pk), dict.fromkeys(socket_ids, expiry))
                pipe.expire(self.key(user_pk), ttl() * 2)
            await pipe.execute()


class RedisSockets(RedisUserSets):
    KIND = "sockets"

    async def open(self, user_pk, socket_id):
        now = time.time()
        opened = await self.client().eval(OPEN, 1, self.key(user_pk), now, now + ttl(), cap(), socket_id, ttl() * 2)
        return bool(opened)

    async def close(self, user_pk, socket_id):
        await self.client().zrem(self.key(user_pk), socket_id)


_registry = None


def for_the_layer(current, redis_kind, local_kind):
    """`current`, or a new backend when it was made for another REDIS_URL
    (tests switch): `redis_kind` with Redis, `local_kind` without."""
    if current is None or getattr(current, "url", "") != settings.REDIS_URL:
        return redis_kind(settings.REDIS_URL) if settings.REDIS_URL else local_kind()
    return current


def registry():
    global _registry
    _registry = for_the_layer(_registry, RedisSockets, LocalSockets)
    return _registry
