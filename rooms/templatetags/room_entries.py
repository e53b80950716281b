"""The room list's entries, each rendered once per state it can show.

The room list (and the sidebar of every room page) has an entry per room
the viewer may see: two hundred rooms are ~17 ms of template work, most of
what a room page costs. An entry's markup depends only on ENTRY_FIELDS, so
this process keeps the entries it rendered, keyed by those values, and
renders again only what changed (a new message moves `latest`, reading
moves the counts): someone going from room to room renders a few entries,
not two hundred. The markup stays in rooms/room_list.html#room-entry, which
live entries also use.
"""

from functools import lru_cache

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe

register = template.Library()

ENTRY = "rooms/room_list.html#room-entry"
ENTRY_FIELDS = (
    "pk",
    "name",
    "slug",
    "topic",
    "is_archived",
    "is_private",
    "latest",
    "last_read",
    "unread",
    "mentions",
    "kind",
    "participant_names",
)
# ~700 bytes each: a few MB per process, enough for everyone's lists of a
# busy install to stay warm.
CACHED_ENTRIES = 8192


class _Entry:
    """A room as the cache sees it: equal to another when its entry would
    render the same. It drops the room once rendered (the key stays)."""

    __slots__ = ("key", "room", "viewer")

    def __init__(self, room, viewer):
        # A conversation's entry leaves its viewer's own name out.
        self.room, self.viewer = room, (viewer if room.is_direct else None)
        self.key = (
            get_script_prefix(),
            getattr(self.viewer, "pk", None),
            *(getattr(room, name, None) for name in ENTRY_FIELDS),
        )

    def __hash__(self):
        return hash(self.key)

    def __eq__(self, other):
        return self.key == other.key


def _render(entry):
    return get_template(ENTRY).render({"room": entry.room, "user": entry.viewer})


@lru_cache(maxsize=CACHED_ENTRIES)
def _rendered(entry):
    html = _render(entry)
    entry.room = entry.viewer = None
    return html


@register.simple_tag(takes_context=True)
def room_entries(context, rooms):
    """The entries of `rooms` (RoomQuerySet.with_unread) for one viewer's page."""
    entries = (_Entry(room, context.get("user")) for room in rooms)
    if settings.DEBUG:  # templates reload as they are edited
        return mark_safe("".join(_render(entry) for entry in entries))
    return mark_safe("".join(_rendered(entry) for entry in entries))
