"""Flood control: at most CHAT_RATE_LIMIT_MESSAGES per user every CHAT_RATE_LIMIT_SECONDS.

Counters live in Django's cache, which is Redis whenever REDIS_URL is set, so
the limit holds across every server process. Fixed windows keep it to one
atomic INCR per message.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError


class FloodError(ValidationError):
    pass


def check(user):
    """Count one message for `user`; raise FloodError when over the limit."""
    limit = settings.CHAT_RATE_LIMIT_MESSAGES
    window = settings.CHAT_RATE_LIMIT_SECONDS
    if limit <= 0 or window <= 0:
        return
    bucket = int(time.time() // window)
    key = f"flood:{user.pk}:{bucket}"
    # add() is a no-op when the key exists; incr() is atomic in Redis.
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        raise FloodError(
            "You are sending messages too quickly: at most %(limit)d every %(window)d seconds. "
            "Wait a moment and try again.",
            code="flood",
            params={"limit": limit, "window": window},
        )
