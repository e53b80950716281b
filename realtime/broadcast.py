"""The transport's side of a live change: events on the channel layer's groups.

A feature renders each change ONCE, from its page's own template partials,
with no request and nothing specific to a viewer (rooms/broadcasts.py), and
send()s the HTML to a group. Each process's hub (realtime/hub.py) receives
it once and writes it to its sockets in that group; htmx swaps it in
out-of-band by id. Callers in the model layer send after commit, so a page
never shows what the database does not hold: they publish(), which in a
server does not wait for the channel layer (the Outbox below).
"""

import asyncio
import collections
import logging
import os
import weakref

from asgiref.sync import SyncToAsync, async_to_sync
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


log = logging.getLogger(__name__)

# Events an outbox holds while the channel layer does not take them (Redis
# hanging until its timeout); past this the oldest go, as pages that missed
# them catch up from the database when they reconnect.
OUTBOX_MAX_EVENTS = 10_000
# Events an outbox sends in one call to the channel layer.
OUTBOX_BATCH = 100


async def send(group, event_type, html, **extra):
    await send_many([(group, event_type, html, extra)])


async def send_many(events):
    """send() each (group, event_type, html, extra) of `events`, in order;
    with Redis in two round trips for all of them (realtime/layer.py)."""
    layer = get_channel_layer()
    messages = [(group, {"type": kind, "group": group, "html": html, **extra}) for group, kind, html, extra in events]
    if hasattr(layer, "group_send_many"):
        await layer.group_send_many(messages)
    else:  # the in-memory layer of a single process
        for group, message in messages:
            await layer.group_send(group, message)


def publish(group, event_type, html, **extra):
    """send() from synchronous code: the model layer's after-commit hooks.

    In a server that code runs in asgiref's one database thread, which every
    socket of the process shares; waiting there for the channel layer (four
    Redis round trips per group, each behind whatever the event loop is
    doing) held every other socket's database work, and capped a process
    at what one thread could post and publish in turn. So there the event
    joins the event loop's outbox, which sends it in order, and this
    returns at once. Elsewhere (a management command, the task worker, a
    test without a loop) it is sent before this returns."""
    loop = _server_loop()
    if loop is None:
        async_to_sync(send)(group, event_type, html, **extra)
    else:
        loop.call_soon_threadsafe(Outbox.of(loop).put, (group, event_type, html, extra))


def _server_loop():
    """The event loop this thread works for when asgiref's sync_to_async
    runs it (as async_to_sync finds it), or None."""
    local = SyncToAsync.threadlocal
    loop = getattr(local, "main_event_loop", None)
    if loop is None or loop.is_closed() or getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop


class Outbox:
    """One event loop's events from its database thread, sent one after the
    other in the order they were published (a message before its edit,
    before the room list's news of it), by a task that runs while any wait."""

    _outboxes = weakref.WeakKeyDictionary()  # loop -> Outbox

    @classmethod
    def of(cls, loop):
        if loop not in cls._outboxes:
            cls._outboxes[loop] = cls()
        return cls._outboxes[loop]

    def __init__(self):
        self.events = collections.deque()
        self.task = None
        self.dropped = 0

    def put(self, event):
        """Called in the loop's thread."""
        if len(self.events) >= OUTBOX_MAX_EVENTS:
            self.events.popleft()
            self.dropped += 1
            if self.dropped == 1:
                log.warning("the channel layer is not taking events; dropping the oldest unsent")
        self.events.append(event)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.send_all())

    async def send_all(self):
        """Send what waits, all of it at once (a message posted is two
        events; under load, what several sockets posted meanwhile), up to
        OUTBOX_BATCH events per send."""
        while self.events:
            batch = [self.events.popleft() for _ in range(min(OUTBOX_BATCH, len(self.events)))]
            try:
                await send_many(batch)
            except Exception:
                # Redis away: the hub's receive fails too, and its pages reconnect and catch up.
                log.exception("could not send %d events (the first to group %s)", len(batch), batch[0][0])
            else:
                if self.dropped:
                    log.warning("the channel layer takes events again; %d were dropped", self.dropped)
                    self.dropped = 0


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
    publish(user_group(user_pk), SIGNED_OUT, html, session_key=session_key, keep_session_key=keep_session_key)
