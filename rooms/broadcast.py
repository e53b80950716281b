"""The one path every live change takes to open room pages.

Each change is rendered ONCE, from the same template partials the room page
uses, with no request and nothing specific to a viewer, and the resulting
HTML is group_sent to the room. Consumers only forward it to their socket;
htmx swaps it in out-of-band by id. Callers in the model layer run these
after commit, so a page never shows what the database does not hold.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.template.loader import render_to_string

# Each process's hub (rooms/hub.py) receives these once and writes fragments
# to its sockets as they are; access and closed events also close sockets
# that lost the room.
FRAGMENT = "room.fragment"
ACCESS = "room.access"
CLOSED = "room.closed"


def render(partial, **context):
    return render_to_string(f"rooms/room.html#{partial}", context)


async def send(group, event_type, html, **extra):
    await get_channel_layer().group_send(group, {"type": event_type, "group": group, "html": html, **extra})


def message_posted(message):
    """A saved message appears at the end of #messages on every open page."""
    html = render("messages-appended", batch=[message])
    async_to_sync(send)(message.room.group_name, FRAGMENT, html)


def message_edited(message):
    """An edited message is replaced, by id, on every open page that shows it."""
    async_to_sync(send)(message.room.group_name, FRAGMENT, render("messages-edited", edited=[message]))


def messages_deleted(room_group, pks):
    """Deleted messages disappear from every open page."""
    async_to_sync(send)(room_group, FRAGMENT, render("messages-deleted", pks=pks))


def room_changed(room):
    """Archiving turns the composer into a read-only note (and back)."""
    async_to_sync(send)(room.group_name, FRAGMENT, render("composer", room=room, oob=True, max_length=settings.CHAT_MAX_MESSAGE_LENGTH))


def access_changed(room_group, allowed_user_ids):
    """None: a public room. Otherwise sockets of users not in the set are closed."""
    html = render("notice", notice="You no longer have access to this room.")
    allowed = None if allowed_user_ids is None else sorted(allowed_user_ids)
    async_to_sync(send)(room_group, ACCESS, html, allowed=allowed)


def room_closed(room_group):
    async_to_sync(send)(room_group, CLOSED, render("notice", notice="This room has been deleted."))


async def typing(room_group, user_pk, username):
    """A keystroke in someone's composer; the page shows it for a few seconds."""
    await send(room_group, FRAGMENT, render("typing", user_pk=user_pk, username=username))


async def presence_changed(room_group, people):
    """`people`: the usernames in the room now, one entry per user."""
    await send(room_group, FRAGMENT, render("presence", people=people, oob=True))


def catch_up(messages, gone_pks, edited=()):
    """What one reconnecting page missed: the messages after its last one, and
    the deletions and edits among those it shows, as one fragment. Sent to
    that socket only."""
    return (
        render("messages-appended", batch=messages)
        + render("messages-edited", edited=edited)
        + render("messages-deleted", pks=gone_pks)
    )
