"""Flood control: at most CHAT_RATE_LIMIT_MESSAGES per user in any
CHAT_RATE_LIMIT_SECONDS, and the sliding-window counter other limits share
(realtime/budgets.py).

Counters live in Django's cache, which is Redis whenever REDIS_URL is set, so
a limit holds across every server process. Each hit is counted in a fixed
window (one atomic INCR), and the limit applies to a sliding window: this
window's count plus the previous window's, weighted by how much of it the
sliding window still covers. With fixed windows alone, a burst split by a
window boundary would get through at twice the limit.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError


class FloodError(ValidationError):
    pass


def allow(name, limit, window):
    """Count one hit of `name`; False (and not counted) when that would
    pass `limit` hits in any `window` seconds. limit or window 0: no limit."""
    if limit <= 0 or window <= 0:
        return True
    bucket, into = divmod(time.time(), window)
    key = f"{name}:{int(bucket)}"
    # Each window's count is still read as "the previous one" a window later.
    timeout = 2 * window + 1
    # add() is a no-op when the key exists; incr() is atomic in Redis.
    cache.add(key, 0, timeout=timeout)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=timeout)
        count = 1
    if _sliding(name, count, bucket, into, window) > limit:
        try:
            cache.decr(key)
        except ValueError:  # gone already: nothing left to take back
            pass
        return False
    return True


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


def check(user):
    """Count one message for `user`; raise FloodError when over the limit
    (a refused message is not counted)."""
    if not allow(f"flood:{user.pk}", settings.CHAT_RATE_LIMIT_MESSAGES, settings.CHAT_RATE_LIMIT_SECONDS):
        raise _too_quickly()


def check_allowance(user):
    """Raise FloodError when `user`'s next message would be refused, counting
    nothing: for what costs before its message is posted (an upload's files)."""
    if exhausted(f"flood:{user.pk}", settings.CHAT_RATE_LIMIT_MESSAGES, settings.CHAT_RATE_LIMIT_SECONDS):
        raise _too_quickly()


def _too_quickly():
    return FloodError(
        "You are sending messages too quickly: at most %(limit)d every %(window)d seconds. "
        "Wait a moment and try again.",
        code="flood",
        params={"limit": settings.CHAT_RATE_LIMIT_MESSAGES, "window": settings.CHAT_RATE_LIMIT_SECONDS},
    )


def check_reactions(user):
    """Count one reaction added or taken back for `user`; raise FloodError
    over twice the message limit. Counted apart from messages: clicking
    emoji never keeps anyone from writing."""
    limit = 2 * settings.CHAT_RATE_LIMIT_MESSAGES
    window = settings.CHAT_RATE_LIMIT_SECONDS
    if not allow(f"flood-reactions:{user.pk}", limit, window):
        raise FloodError(
            "You are reacting too quickly: at most %(limit)d reactions every %(window)d seconds. "
            "Wait a moment and try again.",
            code="flood",
            params={"limit": limit, "window": window},
        )
