"""The WebSocket endpoints of the pages: frames in, model calls out.

`PageSocket` is what every page's socket has: it accepts only signed-in
users, reads each frame once through realtime/protocol.py, spends the
user's budget for that kind of frame, and hands the typed frame to the
handler the endpoint's HANDLERS table names. Whatever a frame holds, the
consumer answers with a fragment or a refusal; nothing raises out of it.

`RoomConsumer` (/ws/rooms/<slug>/) posts, edits, deletes, marks read, says
who is typing and catches a page up; `RoomListConsumer` (/ws/rooms/) only
listens. Both follow the room list through a `RoomListFeed`.
"""

import logging
import time
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError

from rooms.models import Message, NotAMember, NotSignedIn, ReadMark, Room, RoomArchived

from . import broadcast, budgets, presence, protocol, sockets, transport
from .hub import get_hub

log = logging.getLogger(__name__)

# Close codes the page understands (SPEC sections 6 and 9).
NOT_SIGNED_IN = 4401
READ_ONLY = 4403
NOT_FOUND = 4404
TOO_MANY_SOCKETS = 4429
# "Reconnect and catch up": servers may only send 1000 or 3000-4999, so
# the page adds this code to htmx's reconnect codes (base.html).
RECONNECT = 4012

# A refusal that means this page can no longer act here closes it.
CLOSE_FOR = {NotSignedIn: NOT_SIGNED_IN, NotAMember: NOT_FOUND, RoomArchived: READ_ONLY}

# Seconds between two "is typing" broadcasts of one socket.
TYPING_THROTTLE = 2

UNAVAILABLE = "Chat is briefly unavailable; your message was not sent. Try again in a moment."
NOTHING_CHANGED = "Chat is briefly unavailable; nothing was changed. Try again in a moment."


def db(function):
    return database_sync_to_async(function)


class PageSocket(AsyncWebsocketConsumer):
    """A signed-in page's socket; subclasses set HANDLERS (frame type -> method name)."""

    HANDLERS = {}
    NOT_HERE = "This page does not know that kind of frame: nothing was done."
    # No channel per socket: the process's hub receives the groups' events
    # once and calls the hub.Socket methods below on each socket.
    channel_layer_alias = None
    user = None
    ready = False  # joined and listening: frames are handled from then on

    async def accept_signed_in(self):
        """Accept the socket; returns the user, or None after closing it
        (4401 signed out, 4429 too many sockets). Accept before closing: a
        socket closed during the handshake reaches the browser as HTTP 403 /
        code 1006, which htmx retries forever."""
        await self.accept()
        user = self.scope["user"]
        if not user.is_authenticated or not user.is_active:
            await self.close(NOT_SIGNED_IN)
            return None
        self.socket_id = uuid.uuid4().hex
        self.username = user.get_username()
        self.transport = transport.find(self.base_send)
        try:
            opened = await sockets.registry().open(user.pk, self.socket_id)
        except Exception:
            log.warning("could not count the sockets of user %s; the page will retry", user.pk, exc_info=True)
            await self.close(RECONNECT)
            return None
        self.user = user
        if not opened:
            await self.send_frame(broadcast.render("notice", notice=sockets.TOO_MANY))
            await self.close(TOO_MANY_SOCKETS)
            return None
        self.list_feed = RoomListFeed(self)
        return user

    async def disconnect(self, code):
        if self.user is not None:
            await get_hub().leave_all(self)
            try:
                await sockets.registry().close(self.user.pk, self.socket_id)
            except Exception:  # Redis away: the entry expires by itself
                log.warning("could not uncount a socket of user %s", self.user.pk, exc_info=True)

    async def receive(self, text_data=None, bytes_data=None):
        if not self.ready:
            return
        try:
            key, frame = protocol.parse(text_data, bytes_data)
            handler = self.HANDLERS.get(type(frame))
            if handler is None:
                raise protocol.BadFrame(self.NOT_HERE)
            if not await budgets.spend(self.user.pk, key):
                raise protocol.BadFrame(budgets.OVER)
        except protocol.BadFrame as bad:
            await self.error(str(bad), **bad.refused)
            return
        try:
            await getattr(self, handler)(frame)
        except Exception:
            # A handler's own refusals are answered inside it; this is a bug
            # or an outage, and still the socket stays usable.
            log.exception("handling a %s frame failed", key)
            await self.error(NOTHING_CHANGED)

    async def refuse(self, error, **refused):
        """Tell the page why (`refused` goes back with it); close the socket
        when the refusal means this page can no longer act here."""
        reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        await self.error(reason, **refused)
        code = next((code for kind, code in CLOSE_FOR.items() if isinstance(error, kind)), None)
        if code is not None:
            await self.close(code)

    async def error(self, reason, text=None, client_id=None, edit=None):
        """An error fragment for this socket only; `text` goes back into the
        composer, and the page stops waiting for `client_id` to be confirmed
        (or for its edit of message `edit`)."""
        await self.send_frame(broadcast.render("chat-error", error=reason, text=text, client_id=client_id, edit=edit))

    def current_user(self):
        """The user as the database has them now (deactivated, demoted, deleted?)."""
        try:
            self.user.refresh_from_db(fields=["is_active", "is_staff", "is_superuser"])
        except ObjectDoesNotExist:
            raise NotSignedIn("Your account no longer exists.") from None
        if not self.user.is_active:
            raise NotSignedIn("You are signed out. Log in again to keep chatting.")
        return self.user

    # --- hub.Socket --------------------------------------------------------------------

    @property
    def user_pk(self):
        return self.user.pk

    async def send_frame(self, html):
        # What earlier frames left unsent (not this one, which may be large
        # and on its way): past the cap, the client is not reading. Drop it
        # rather than buffer without limit; a real page reconnects and
        # catches up from the database.
        if transport.unsent_bytes(self.transport) > settings.CHAT_SOCKET_MAX_BUFFER_BYTES:
            log.info("dropping a socket of user %s that stopped reading", self.user_pk)
            transport.abort(self.transport)
            return
        await self.base_send({"type": "websocket.send", "text": html})

    async def control(self, event):
        if self.concerned_by(event):
            await self.send_frame(event["html"])
            await self.close(NOT_SIGNED_IN if event["type"] == broadcast.SIGNED_OUT else NOT_FOUND)

    def concerned_by(self, event):
        """Whether a control event closes this socket: the user signed out
        (this session's sockets, or all of them), the room was deleted, or
        its readers changed and the user is not among them."""
        if event["type"] == broadcast.SIGNED_OUT:
            session = self.scope.get("session")
            key = event.get("session_key")
            return key is None or (session is not None and session.session_key == key)
        if event["type"] == broadcast.CLOSED:
            return True
        return event["type"] == broadcast.ACCESS and event["allowed"] is not None and self.user_pk not in event["allowed"]

    async def reconnect(self):
        """The page reconnects and catches up (the channel layer failed)."""
        await self.close(RECONNECT)


class RoomListFeed:
    """What every page socket shares: it follows the list of rooms and its
    user's read marks, and answers a sync with the user's whole list."""

    def __init__(self, socket):
        self.socket = socket

    async def join(self):
        await get_hub().join(broadcast.LIST_GROUP, self.socket)
        await get_hub().join(broadcast.user_group(self.socket.user.pk), self.socket)

    async def send(self):
        """This user's room list with their counts: after a reconnect, what
        changed while the socket was away (and between page load and connect)."""
        user = self.socket.user
        rooms = await db(lambda: list(Room.objects.sidebar_for(user)))()
        await self.socket.send_frame(broadcast.room_list(rooms))


class RoomConsumer(PageSocket):
    HANDLERS = {
        protocol.Post: "post",
        protocol.Sync: "sync",
        protocol.Read: "read",
        protocol.Typing: "typing",
        protocol.Edit: "edit",
        protocol.Delete: "delete",
    }
    room = None
    last_typing = float("-inf")
    read_up_to = 0

    async def connect(self):
        if (user := await self.accept_signed_in()) is None:
            return
        room = await Room.objects.filter(slug=self.scope["url_route"]["kwargs"]["slug"]).afirst()
        if room is None or not await db(room.is_visible_to)(user):
            await self.close(NOT_FOUND)
            return
        self.room = room
        try:
            await get_hub().join(room.group_name, self, presence=True)
            await self.list_feed.join()
            await presence.backend().join(room.pk, [(self.socket_id, self.username)])
            await presence.announce(room.pk, room.group_name, newcomer=self)
        except Exception:
            # Redis away, or the page closed while joining: leave no trace in
            # the hub or in presence (a ghost would stay "here" until its
            # entry expires); the page retries with backoff.
            log.warning("joining room %s failed; the page will retry", room.pk, exc_info=True)
            await self.leave_room()
            self.room = None
            await self.close(RECONNECT)
            return
        self.ready = True

    async def disconnect(self, code):
        if self.room is not None:
            await self.leave_room()
        await super().disconnect(code)

    async def leave_room(self):
        await get_hub().leave_all(self)
        try:
            await presence.backend().leave(self.room.pk, self.socket_id)
            await presence.announce(self.room.pk, self.room.group_name)
        except Exception:  # Redis away: the entry expires by itself
            log.warning("could not leave room %s cleanly", self.room.pk, exc_info=True)

    @property
    def room_pk(self):
        return self.room.pk

    # --- handlers ------------------------------------------------------------------------

    async def post(self, frame):
        refused = {"text": frame.text, "client_id": frame.client_id}
        try:
            await db(self._post)(frame)
        except (ValidationError, PermissionDenied) as error:
            await self.refuse(error, **refused)
        except Room.DoesNotExist:
            await self.refuse(NotAMember("This room no longer exists."), **refused)
        except Exception:
            # Database or Redis away: say so, hand the text back, keep the socket.
            log.exception("posting to room %s failed", self.room.pk)
            await self.error(UNAVAILABLE, **refused)

    def _post(self, frame):
        return Message.objects.post(self.room, self.current_user(), frame.text, frame.client_id)

    async def edit(self, frame):
        await self.change(frame, lambda message, user: message.edit(user, frame.text), edit=frame.message_id)

    async def delete(self, frame):
        await self.change(frame, lambda message, user: message.delete_by(user))

    async def change(self, frame, act, **refused):
        """Edit or delete one message of this room. The page keeps an edit
        box open until the edited message comes back, so a refusal only needs
        to say why (and name the message, so it is not sent again)."""

        def change():
            user = self.current_user()
            act(Message.objects.get(room=self.room, pk=frame.message_id), user)

        try:
            await db(change)()
        except Message.DoesNotExist:
            await self.error("That message no longer exists.", **refused)
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, RoomArchived):  # the page shows the room read-only already
                error = PermissionDenied(str(error))
            await self.refuse(error, **refused)

    async def typing(self, frame):
        """Tell the room this user is typing: never stored, at most one
        broadcast per socket every TYPING_THROTTLE seconds."""
        now = time.monotonic()
        if now - self.last_typing < TYPING_THROTTLE or self.room.is_archived:
            return
        self.last_typing = now
        await broadcast.typing(self.room.group_name, self.user.pk, self.username)

    async def read(self, frame):
        """The page has shown this room up to the message: move the user's mark."""
        if frame.message_id <= self.read_up_to:
            return  # the mark only moves forward; spare the database
        self.read_up_to = frame.message_id
        try:
            await db(lambda: ReadMark.objects.mark_read(self.current_user(), self.room, frame.message_id))()
        except PermissionDenied as error:
            await self.refuse(error)
        except Exception:  # database away: the next read frame tries again
            log.warning("could not mark room %s read", self.room.pk, exc_info=True)
            self.read_up_to = 0

    async def sync(self, frame):
        """Send what the page missed while it was disconnected: every message
        after its newest, in order, in batches rendered and sent one at a
        time (at most CHAT_SYNC_MAX_MESSAGES: a page further behind is told
        to reload), and the edits and deletions among those it shows; then
        the user's room list."""
        try:
            await db(self.room.check_can_read)(await db(self.current_user)())
        except PermissionDenied as error:
            await self.refuse(error)
            return
        limit = settings.CHAT_SYNC_MAX_MESSAGES
        if await db(Message.objects.missed_more_than)(self.room, frame.after, limit):
            await self.send_frame(broadcast.too_far_behind(self.room))
        else:
            after, sent, changes = frame.after, 0, frame
            while sent < limit:
                size = min(settings.CHAT_CATCH_UP_BATCH, limit - sent)
                html, after, count = await db(self._missed_batch)(after, size, changes)
                if html or changes is not None:  # the first answer goes out even when empty
                    await self.send_frame(html)
                sent, changes = sent + count, None
                if count < size:
                    break
        await self.list_feed.send()

    def _missed_batch(self, after, size, changes=None):
        """One batch of the catch-up, rendered: (html, the last id in it, how
        many messages). The first batch also carries the edits and deletions
        among the messages the page shows (`changes`: the Sync frame)."""
        gone, edited = (), ()
        if changes is not None:
            gone, edited = Message.objects.changed_among(self.room, changes.known, changes.revised)
        missed = Message.objects.missed_since(self.room, after, size)
        return broadcast.catch_up(missed, gone, edited), (missed[-1].pk if missed else after), len(missed)


class RoomListConsumer(PageSocket):
    """The room list page's socket (/ws/rooms/): it only listens to the list
    of rooms and the user's read marks, and answers a sync with the user's
    current list. Sending a message here is refused (4403)."""

    HANDLERS = {protocol.Sync: "sync", protocol.Post: "post"}
    NOT_HERE = "This page only listens: open a room to do that."

    async def connect(self):
        if await self.accept_signed_in() is None:
            return
        try:
            await self.list_feed.join()
        except Exception:
            log.warning("joining the room list failed; the page will retry", exc_info=True)
            await get_hub().leave_all(self)
            await self.close(RECONNECT)
            return
        self.ready = True

    async def sync(self, frame):
        await self.list_feed.send()

    async def post(self, frame):
        await self.error("This page cannot send messages: open a room.")
        await self.close(READ_ONLY)
