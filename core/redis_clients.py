"""The process's asyncio Redis client: one per event loop and server, shared
by what talks to Redis from the event loop outside the channel layer
(presence, the socket registry, flood and frame limits).

Its pool waits for a free connection when all of them are busy, instead of
failing the caller at once (redis-py's default pool): a thousand pages
reconnecting together after a deploy each need a few commands at the same
moment, and with a failing pool those past the hundredth connection were
sent away to reconnect again (measured: 24 of 1000 in one bench run). The
channel layer's pool waits the same way (realtime/layer.py)."""

import asyncio
import weakref

from django.conf import settings

# Connections per event loop and server; callers beyond them wait their turn.
MAX_CONNECTIONS = 100
# How long a caller waits for a connection before its command fails (as a
# Redis outage does: each caller has its answer for that).
WAIT_SECONDS = 5

# redis.asyncio clients belong to their event loop.
_clients = weakref.WeakKeyDictionary()


def waiting_pool(url, **options):
    """An asyncio connection pool for `url` whose callers wait for a free
    connection (`options`: the connections', as redis-py's from_url takes them)."""
    import redis.asyncio

    return redis.asyncio.BlockingConnectionPool.from_url(
        url, max_connections=MAX_CONNECTIONS, timeout=WAIT_SECONDS, **options
    )


def async_client(url):
    """The client of this event loop for the Redis server at `url`."""
    import redis.asyncio

    clients = _clients.setdefault(asyncio.get_running_loop(), {})
    if url not in clients:
        pool = waiting_pool(url, **{"socket_timeout": 5, **settings.REDIS_OPTIONS})
        clients[url] = redis.asyncio.Redis(connection_pool=pool)
    return clients[url]
