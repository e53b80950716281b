"""The transport's side of a live change: events on the channel layer's groups.

A feature renders each change ONCE, from its page's own template partials,
with no request and nothing specific to a viewer (rooms/broadcasts.py), and
send()s the HTML to a group. Each process's hub (realtime/hub.py) receives
it once and writes it to its sockets in that group; htmx swaps it in
out-of-band by id. Callers in the model layer send after commit, so a page
never shows what the database does not hold.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.template.loader import render_to_string

# Fragments are written to the group's sockets as they are; access and
# closed events also close the sockets they concern (a room's readers
# changed, the room was deleted).
FRAGMENT = "room.fragment"
ACCESS = "room.access"
CLOSED = "room.closed"
# To a user's group: their sockets close (4401), all of them or those of one session.
SIGNED_OUT = "user.signed_out"

# Every signed-in page's socket follows this site-wide group (the list of
# rooms and activity in them) and its user's group (what concerns that user
# alone, on every device). A fragment sent to a group may name the users
# allowed to see it (None: everyone) and what the others get instead (the
# hub's `Filtered`).
LIST_GROUP = "rooms.list"


def user_group(user_pk):
    return f"user.{user_pk}"


async def send(group, event_type, html, **extra):
    await get_channel_layer().group_send(group, {"type": event_type, "group": group, "html": html, **extra})


def render(partial, **context):
    """One of the transport's own frames (realtime/frames.html): a notice, a refusal."""
    return render_to_string(f"realtime/frames.html#{partial}", context)


def notice(text):
    """A sentence for #chat-errors, as sent before a socket closes."""
    return render("notice", notice=text)


def signed_out(user_pk, session_key=None, keep_session_key=None):
    """The user logged out (`session_key`: that session's sockets only), was
    deactivated or deleted (all their sockets), or changed their password
    (every session's sockets but `keep_session_key`'s): those pages close
    with 4401."""
    html = notice("You have been signed out. Log in again to keep chatting.")
    async_to_sync(send)(
        user_group(user_pk), SIGNED_OUT, html, session_key=session_key, keep_session_key=keep_session_key
    )
