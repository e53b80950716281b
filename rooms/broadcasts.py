"""What a room's changes look like on the pages that show them.

Each change is rendered ONCE, from the same template partials the room page
and the room list use, and sent to a group through the transport
(realtime/broadcast.py): the room's group for what its open pages show, the
site-wide list group for the room lists and unread counts, a user's group
for what concerns that user alone. The model layer calls these after
commit.
"""

from channels.db import database_sync_to_async
from django.conf import settings
from django.template.loader import render_to_string

from accounts.names import people_named
from core import metrics
from realtime import broadcast
from realtime.broadcast import ACCESS, CLOSED, FRAGMENT, LIST_GROUP, notice, user_group


def render(partial, **context):
    return render_to_string(f"rooms/room.html#{partial}", context)


def message_posted(message):
    """A saved message appears at the end of #messages on every open page.
    `posted_at` (its commit) lets each hub measure how long delivery took."""
    posted_at = metrics.message_posted()
    html = render("messages-appended", batch=[message])
    broadcast.publish(message.room.group_name, FRAGMENT, html, posted_at=posted_at)


def message_edited(message):
    """An edited message is replaced, by id, on every open page that shows
    it (and so are the quotes of it in replies: messages-edited)."""
    broadcast.publish(message.room.group_name, FRAGMENT, render("messages-edited", edited=[message]))


def reactions_changed(message):
    """Someone reacted: the message's reactions block, with who reacted, is
    replaced on every open page (each page marks its own viewer's)."""
    broadcast.publish(message.room.group_name, FRAGMENT, render("reactions-changed", message=message))


def messages_deleted(room_group, pks):
    """Deleted messages disappear from every open page."""
    broadcast.publish(room_group, FRAGMENT, render("messages-deleted", pks=pks))


def room_changed(room):
    """Archiving turns the composer into a read-only note (and back)."""
    html = render("composer", room=room, oob=True, max_length=settings.CHAT_MAX_MESSAGE_LENGTH)
    broadcast.publish(room.group_name, FRAGMENT, html)


def access_changed(room_group, allowed_user_ids):
    """None: a public room. Otherwise sockets of users not in the set are closed."""
    html = notice("You no longer have access to this room.")
    allowed = None if allowed_user_ids is None else sorted(allowed_user_ids)
    broadcast.publish(room_group, ACCESS, html, allowed=allowed)


def room_closed(room_group):
    broadcast.publish(room_group, CLOSED, notice("This room has been deleted."))


async def typing(room_group, user_pk, name):
    """A keystroke in someone's composer; the page shows it (with `name`, their display name) for a few seconds."""
    await broadcast.send(room_group, FRAGMENT, render("typing", user_pk=user_pk, name=name))


async def presence(usernames):
    """ "Here now" for `usernames`, each with their display name and avatar (one query)."""
    people = await database_sync_to_async(people_named)(usernames)
    return render("presence", people=people, oob=True)


def catch_up(messages, gone_pks=(), edited=()):
    """What one reconnecting page missed: the messages after its last one, and
    the deletions and edits among those it shows, as one fragment. Sent to
    that socket only, in batches."""
    return (
        render("messages-appended", batch=messages)
        + render("messages-edited", edited=edited)
        + render("messages-deleted", pks=gone_pks)
    )


def too_far_behind(room):
    """A page that missed more than one catch-up may send: it reloads to the latest."""
    return render("reload", room=room)


# --- The room list and unread counts -------------------------------------------------------
#
# Every socket of a signed-in page (a room page or the room list at /) also
# listens to LIST_GROUP, for changes to the list of rooms and activity in
# them, and to its user's group, for that user's own read marks. Room list
# fragments are rendered once for everyone; visibility differs per user, so
# a fragment names the users allowed to see it (None: everyone signed in)
# and the hub gives the others `otherwise` (realtime/hub.py's Filtered).


def render_list(partial, **context):
    return render_to_string(f"rooms/room_list.html#{partial}", context)


def _allowed(user_ids):
    return None if user_ids is None else sorted(user_ids)


def room_listed(room, allowed_user_ids, previously_allowed, excluded_user_ids=()):
    """A room created or changed: its entry appears or changes in the room
    list of everyone who may see it but `excluded_user_ids` (who left it),
    and disappears for those among `previously_allowed` (None: everyone) who
    may not. Nobody else is told anything about it. `room` carries `latest`
    (RoomQuerySet.with_latest)."""
    html = render_list("room-entry-live", room=room)
    gone = render_list("room-entry-gone", pk=room.pk)
    broadcast.publish(
        LIST_GROUP,
        FRAGMENT,
        html,
        allowed=_allowed(allowed_user_ids),
        otherwise=gone,
        otherwise_to=_allowed(previously_allowed),
        excluded=sorted(excluded_user_ids),
    )


def room_joined(user_pk, room):
    """The user put a public room back in their list: its entry appears on
    each of their pages, which then fetch their counts for it."""
    broadcast.publish(user_group(user_pk), FRAGMENT, render_list("room-entry-live", room=room))


def room_left(user_pk, room_pk):
    """The user left a public room: its entry leaves each of their pages' lists."""
    broadcast.publish(user_group(user_pk), FRAGMENT, render_list("room-entry-gone", pk=room_pk))


def room_unlisted(room_pk, allowed_user_ids):
    """A deleted room leaves the room lists of those who could see it."""
    html = render_list("room-entry-gone", pk=room_pk)
    broadcast.publish(LIST_GROUP, FRAGMENT, html, allowed=_allowed(allowed_user_ids), otherwise="")


def room_activity(message, allowed_user_ids, mentioned_ids):
    """A new message, for the unread counts of pages that show its room in
    their list; pages open on that room get the message itself instead."""
    html = render_list("room-activity", message=message, mentioned=mentioned_ids)
    broadcast.publish(
        LIST_GROUP, FRAGMENT, html, allowed=_allowed(allowed_user_ids), otherwise="", skip=message.room.group_name
    )


def room_messages_gone(room_pk, gone, allowed_user_ids):
    """Deleted messages ({pk, author_id, mentioned}) leave the unread counts
    of every page that counted them, the room's own pages included."""
    html = render_list("room-messages-gone", room_pk=room_pk, gone=gone)
    broadcast.publish(LIST_GROUP, FRAGMENT, html, allowed=_allowed(allowed_user_ids), otherwise="")


def read_moved(user_pk, room):
    """The user read further in `room` (annotated by RoomQuerySet.with_unread):
    each of their pages sets that room's counts, whichever device read it."""
    broadcast.publish(user_group(user_pk), FRAGMENT, render_list("read-mark", room=room))


def room_list(rooms):
    """One page's whole room list with its viewer's counts, answering its sync.
    Sent to that socket only."""
    return render_list("room-list-sync", rooms=rooms)
