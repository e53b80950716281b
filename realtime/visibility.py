"""Who has a chat page on screen right now, across every server process.

A page tells its socket whether its tab is visible (the `visible` frame,
realtime/protocol.py: when the socket opens and at each change). Each
socket on screen holds one entry (user -> socket) with an expiry time,
refreshed by the hub's heartbeat like presence and the socket counts; a
socket that hides or closes drops its entry, and one left behind by a
process that died expires after CHAT_PRESENCE_TTL. With REDIS_URL set the
entries are one Redis sorted set per user (score = expiry), which the task
worker, another process, reads; otherwise this process's memory, which the
worker shares when it runs in the server (CHAT_TASKS_IN_SERVER, as `make
run` without Redis sets it up).

The question asked of it is about people, not tabs: whoever has any entry
is looking at the chat, however many tabs, devices and processes that
takes (push/ sends nothing to them then: it would repeat what is on screen).
"""

import threading
import time

from django.conf import settings

from . import sockets
from .sockets import ttl


class LocalVisibility:
    """One process: user pk -> {socket id: expiry}. The worker reads it from
    a thread of its own, hence the lock."""

    def __init__(self):
        self.users = {}
        self.lock = threading.Lock()

    async def show(self, user_pk, socket_id):
        await self.refresh({user_pk: [socket_id]})

    async def hide(self, user_pk, socket_id):
        with self.lock:
            self.users.get(user_pk, {}).pop(socket_id, None)

    async def refresh(self, sockets_by_user):
        expiry = time.time() + ttl()
        with self.lock:
            for user_pk, socket_ids in sockets_by_user.items():
                self.users.setdefault(user_pk, {}).update(dict.fromkeys(socket_ids, expiry))

    def looking(self, user_pks):
        """The users among `user_pks` with a page on screen now (called from sync code)."""
        now = time.time()
        with self.lock:
            return {pk for pk in user_pks if any(expiry > now for expiry in self.users.get(pk, {}).values())}


class RedisVisibility(sockets.RedisUserSets):
    KIND = "visible"

    def __init__(self, url):
        super().__init__(url)
        self._sync_client = None

    def sync_client(self):
        """The worker's: its tasks are sync code. Same options, a sync retry."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        if self._sync_client is None:
            options = {"socket_timeout": 5, **settings.REDIS_OPTIONS, "retry": Retry(NoBackoff(), 1)}
            self._sync_client = redis.Redis.from_url(self.url, **options)
        return self._sync_client

    async def show(self, user_pk, socket_id):
        await self.refresh({user_pk: [socket_id]})

    async def hide(self, user_pk, socket_id):
        await self.client().zrem(self.key(user_pk), socket_id)

    def looking(self, user_pks):
        user_pks = list(user_pks)
        if not user_pks:
            return set()
        now = time.time()
        with self.sync_client().pipeline(transaction=False) as pipe:
            for pk in user_pks:
                pipe.zcount(self.key(pk), f"({now}", "+inf")
            counts = pipe.execute()
        return {pk for pk, count in zip(user_pks, counts, strict=True) if count}


_record = None


def record():
    global _record
    _record = sockets.for_the_layer(_record, RedisVisibility, LocalVisibility)
    return _record
