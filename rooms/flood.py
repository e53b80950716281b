"""Flood control: at most CHAT_RATE_LIMIT_MESSAGES per user in any
CHAT_RATE_LIMIT_SECONDS, and twice that many reactions, counted on
core/limits.py's sliding windows.
"""

from django.conf import settings

from core.limits import FloodError, allow, exhausted

__all__ = ["FloodError", "check", "check_allowance", "check_reactions"]


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
