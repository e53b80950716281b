"""How the room list shows a count that stops at a limit (rooms/models/read_mark.py, UNREAD_COUNT_LIMIT)."""

from django import template

from ..models import UNREAD_COUNT_LIMIT

register = template.Library()


@register.filter
def count_badge(count):
    """12 -> "12"; the limit or more -> "99+": the server counted no further."""
    count = count or 0
    return f"{UNREAD_COUNT_LIMIT - 1}+" if count >= UNREAD_COUNT_LIMIT else str(count)
