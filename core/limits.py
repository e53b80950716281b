"""Counters on Django's cache, for every limit on how often someone may do
something: messages, reactions, socket frames, logins, sign-ups.

The cache is Redis whenever REDIS_URL is set, so a limit holds across every
server process. Two ways of counting, for two kinds of answer:

- allow() / exhausted(): a sliding window. Each hit is counted in a fixed
  window (one atomic INCR), and the limit applies to a sliding window: this
  window's count plus the previous window's, weighted by how much of it the
  sliding window still covers. With fixed windows alone, a burst split by a
  window boundary would get through at twice the limit. On Redis a hit is
  one round trip (the SLIDING script); allow_soon() is allow() for the
  event loop (a socket's frames), with no hop to a thread.
- record() / locked_until(): a window that starts with a key's first hit and
  ends `window` seconds later, so a refusal can say when to come back.
"""

import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ValidationError

from .redis_clients import async_client


class FloodError(ValidationError):
    """Over a limit on how often someone may post or react."""


def _increment(key, timeout):
    """One atomic hit on `key` (created at 0 if missing); its new count."""
    # add() is a no-op when the key exists; incr() is atomic in Redis.
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=timeout)
        return 1


# One hit on Redis in one round trip, atomically: count it in this window
# (the key expiring ARGV[3] seconds after its first hit), add the previous
# window's count weighted by ARGV[2], and take the hit back when the sum
# passes the limit ARGV[1]. KEYS: this window's count, the previous one's
# (plain integers, as Django's cache stores them, so exhausted() reads them).
SLIDING = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if count + previous * tonumber(ARGV[2]) > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
"""


def allow(name, limit, window):
    """Count one hit of `name`; False (and not counted) when that would
    pass `limit` hits in any `window` seconds. limit or window 0: no limit."""
    if limit <= 0 or window <= 0:
        return True
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=True)
        return bool(client.eval(SLIDING, 2, *_sliding_args(backend, name, limit, window)))
    bucket, into = divmod(time.time(), window)
    key = f"{name}:{int(bucket)}"
    # Each window's count is still read as "the previous one" a window later.
    count = _increment(key, 2 * window + 1)
    if _sliding(name, count, bucket, into, window) > limit:
        try:
            cache.decr(key)
        except ValueError:  # gone already: nothing left to take back
            pass
        return False
    return True


async def allow_soon(name, limit, window):
    """allow() from the event loop: on Redis through an asyncio client, and
    in memory directly (no I/O); no thread either way."""
    if limit <= 0 or window <= 0:
        return True
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return allow(name, limit, window)
    client = async_client(backend._servers[0])
    return bool(await client.eval(SLIDING, 2, *_sliding_args(backend, name, limit, window)))


def _sliding_args(backend, name, limit, window):
    bucket, into = divmod(time.time(), window)
    this, previous = (backend.make_and_validate_key(f"{name}:{int(bucket) + n}") for n in (0, -1))
    return this, previous, limit, repr(1 - into / window), 2 * window + 1


def exhausted(name, limit, window):
    """Whether the next hit of `name` would be refused; counts nothing (for
    a check before costly work, the hit being counted once it is done)."""
    if limit <= 0 or window <= 0:
        return False
    bucket, into = divmod(time.time(), window)
    return _sliding(name, cache.get(f"{name}:{int(bucket)}", 0) + 1, bucket, into, window) > limit


def _sliding(name, count, bucket, into, window):
    """`count` hits in this window, plus the previous window's as far as the sliding window still covers it."""
    previous = cache.get(f"{name}:{int(bucket) - 1}", 0)
    return count + previous * (1 - into / window)


def record(keys, window):
    """Count one hit on each of `keys`. A key's window starts with its first
    hit; both of its entries expire when the window ends."""
    for key in keys:
        cache.add(f"{key}:since", time.time(), window)
        _increment(f"{key}:count", window)


def locked_until(keys, limit, window):
    """When hits on all of `keys` are allowed again (a timestamp): the latest
    end of a window in which one of them reached `limit`; None when none did."""
    values = cache.get_many([f"{key}:count" for key in keys] + [f"{key}:since" for key in keys])
    until = None
    for key in keys:
        since = values.get(f"{key}:since")
        if since is not None and values.get(f"{key}:count", 0) >= limit:
            end = since + window
            if end > time.time() and (until is None or end > until):
                until = end
    return until
