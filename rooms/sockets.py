"""What a room does over a socket: frames in, model calls out.

`RoomConsumer` (/ws/rooms/<slug>/, and /ws/dm/<id>/ for a direct
conversation, which is a room) posts, edits, deletes, marks read, says
who is typing and catches a page up; `RoomListConsumer` (/ws/rooms/) only
listens. Each is a HANDLERS table (frame type -> method) and short handlers
that call the model layer; what every page socket does (sign-in, frames,
budgets, refusals) is the transport's, realtime/page.py. `RoomListFeed` is
what both follow: the list of rooms and its user's read marks.
"""

import asyncio
import collections
import logging
import time

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError

from accounts.names import PROFILE, display_name
from core import metrics
from core.compiled import CompiledQuery
from realtime import presence, protocol
from realtime.broadcast import LIST_GROUP, user_group
from realtime.hub import get_hub
from realtime.page import NOT_FOUND, NOT_SIGNED_IN, READ_ONLY, RECONNECT, PageSocket, db

from . import broadcasts
from .models import Message, NotAMember, NotSignedIn, ReadMark, Room, RoomArchived

log = logging.getLogger(__name__)

# Seconds between two "is typing" broadcasts of one socket: the page sends
# one every 3 s while its person types (typing.js); a little less here, so
# a signal that arrives early by network jitter is not dropped.
TYPING_THROTTLE = 2.5

UNAVAILABLE = "Chat is briefly unavailable; your message was not sent. Try again in a moment."

# At most this many queued messages of one socket go to the database in one
# call (RoomConsumer.post): the database thread is every socket's, and a
# long burst is taken in turns with them.
POST_BATCH = 20
# A message that could not be posted for an outage (logged where it happened).
FAILED = object()


class RoomPageSocket(PageSocket):
    """A page socket of the rooms' pages: it follows the room list."""

    CLOSE_FOR = {NotSignedIn: NOT_SIGNED_IN, NotAMember: NOT_FOUND, RoomArchived: READ_ONLY}
    current_user_row = None  # the row current_user last built self.user from

    async def accept_signed_in(self):
        user = await super().accept_signed_in()
        if user is not None:
            self.list_feed = RoomListFeed(self)
        return user

    def current_user(self):
        """The user as the database has them now (deactivated, demoted,
        deleted?), with their profile in the same query: what they post shows
        their display name as it is now, and rendering it asks nothing more
        (`bot`: the badge, as in MessageQuerySet.for_display).

        Asked before every frame that changes something, so the statement
        is compiled once (core/compiled.py) and the objects are built again
        only when its row changed since the last time."""
        rows = CURRENT_USER.rows(self.user.pk)
        if not rows:
            raise NotSignedIn("Your account no longer exists.")
        if rows[0] != self.current_user_row:
            # get(), not first(): by primary key there is nothing to order by.
            try:
                self.user = get_user_model().objects.select_related(PROFILE, "bot").get(pk=self.user.pk)
            except ObjectDoesNotExist:
                raise NotSignedIn("Your account no longer exists.") from None
            self.current_user_row = rows[0]
        if not self.user.is_active:
            raise NotSignedIn("You are signed out. Log in again to keep chatting.")
        return self.user


# The user's row with their profile and bot, as current_user reads it.
CURRENT_USER = CompiledQuery(lambda user: get_user_model().objects.select_related(PROFILE, "bot").filter(pk=user))


class RoomConsumer(RoomPageSocket):
    HANDLERS = {
        protocol.Post: "post",
        protocol.Sync: "sync",
        protocol.Read: "read",
        protocol.Typing: "typing",
        protocol.Edit: "edit",
        protocol.Delete: "delete",
        protocol.React: "react",
        protocol.Visibility: "visibility",
    }
    room = None
    last_typing = float("-inf")
    read_up_to = 0
    posting = None  # the task posting queued_posts

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queued_posts = collections.deque()  # Post frames not yet handed to the database

    async def connect(self):
        if (user := await self.accept_signed_in()) is None:
            return
        room = await db(Room.objects.at(**self.scope["url_route"]["kwargs"]).first)()
        if room is None or not await db(room.is_visible_to)(user):
            await self.close(NOT_FOUND)
            return
        self.room = room
        self.here = presence.Here(room.pk, broadcasts.presence)
        # What "is typing" calls this person, as it was when the page connected.
        self.display_name = await db(display_name)(user)
        try:
            # Present before the hub counts the socket in: the hub's heartbeat
            # takes a socket it holds without an entry in Redis for a Redis
            # that restarted, and drops every socket of the process.
            await presence.backend().join(room.pk, [(self.socket_id, self.username)])
            await get_hub().join(room.group_name, self, self.here)
            await self.list_feed.join()
            await presence.announce(self.here, room.group_name, newcomer=self)
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
        if self.posting is not None:
            # What the page sent before it left is saved all the same.
            await asyncio.shield(self.posting)
        if self.room is not None:
            await self.leave_room()
        await super().disconnect(code)

    async def leave_room(self):
        await get_hub().leave_all(self)
        try:
            await presence.backend().leave(self.room.pk, self.socket_id)
            await presence.announce(self.here, self.room.group_name)
        except Exception:  # Redis away: the entry expires by itself
            log.warning("could not leave room %s cleanly", self.room.pk, exc_info=True)

    # --- handlers ------------------------------------------------------------------------

    async def post(self, frame):
        """Queue the message: one task per socket posts what is queued, in
        order. Frames that arrived while a post was with the database go
        together in the next call (up to POST_BATCH): one thread hop and
        one look at who is posting for all of them, so a page resending its
        pending messages after a reconnect, or a busy bot, is not held to
        one message per round trip. Each message is still its own
        transaction, with its own answer."""
        self.queued_posts.append(frame)
        if self.posting is None:
            self.posting = asyncio.create_task(self.post_queued())

    async def post_queued(self):
        try:
            while self.queued_posts:
                batch = [self.queued_posts.popleft() for _ in range(min(POST_BATCH, len(self.queued_posts)))]
                for frame, outcome in zip(batch, await db(self._post_all)(batch), strict=True):
                    try:
                        await self._answer_post(frame, outcome)
                    except Exception:  # the page gone mid-answer: the rest still get theirs
                        log.warning("answering a post in room %s failed", self.room.pk, exc_info=True)
        finally:
            self.posting = None

    def _post_all(self, frames):
        """Post each frame's message (in the database thread); per frame,
        None, what refused it, or FAILED."""
        outcomes, user = [], None
        for frame in frames:
            try:
                user = user or self.current_user()
                Message.objects.post(self.room, user, frame.text, frame.client_id, frame.reply_to)
                # The message ended "is typing" on every page: the next
                # keystroke is news at once, not when the throttle allows (a
                # 2 s lag). Set here, in this thread: the page has its
                # message back only after a trip through the channel layer.
                self.last_typing = float("-inf")
                outcomes.append(None)
            except (ValidationError, PermissionDenied, Room.DoesNotExist) as refusal:
                outcomes.append(refusal)
            except Exception:
                log.exception("posting to room %s failed", self.room.pk)
                outcomes.append(FAILED)
        return outcomes

    async def _answer_post(self, frame, outcome):
        refused = {"text": frame.text, "client_id": frame.client_id}
        if outcome is None:
            return
        if outcome is FAILED:
            # Database or Redis away: say so, hand the text back, keep the socket.
            metrics.frame_refused(metrics.UNAVAILABLE)
            await self.error(UNAVAILABLE, **refused)
        elif isinstance(outcome, Room.DoesNotExist):
            await self.refuse(NotAMember("This room no longer exists."), **refused)
        else:
            await self.refuse(outcome, **refused)

    async def edit(self, frame):
        await self.change(frame, lambda message, user: message.edit(user, frame.text), edit=frame.message_id)

    async def delete(self, frame):
        await self.change(frame, lambda message, user: message.delete_by(user))

    async def react(self, frame):
        await self.change(frame, lambda message, user: message.toggle_reaction(user, frame.emoji))

    async def change(self, frame, act, **refused):
        """Edit, delete or react to one message of this room. The page keeps an edit
        box open until the edited message comes back, so a refusal only needs
        to say why (and name the message, so it is not sent again)."""

        def change():
            user = self.current_user()
            act(Message.objects.get(room=self.room, pk=frame.message_id), user)

        try:
            await db(change)()
        except Message.DoesNotExist:
            metrics.frame_refused(metrics.INVALID)
            await self.error("That message no longer exists.", **refused)
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, RoomArchived):  # the page shows the room read-only already
                error = PermissionDenied(str(error))
            await self.refuse(error, **refused)

    async def typing(self, frame):
        """Tell the room this user is typing: never stored, at most one
        broadcast per socket every TYPING_THROTTLE seconds, and one at once
        after each message the socket posts."""
        now = time.monotonic()
        if now - self.last_typing < TYPING_THROTTLE or self.room.is_archived:
            return
        self.last_typing = now
        await broadcasts.typing(self.room.group_name, self.user.pk, self.display_name)

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
            metrics.catch_up(metrics.TOO_FAR_BEHIND)
            await self.send_frame(broadcasts.too_far_behind(self.room))
        else:
            metrics.catch_up(metrics.SENT)
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
        return broadcasts.catch_up(missed, gone, edited), (missed[-1].pk if missed else after), len(missed)


class RoomListConsumer(RoomPageSocket):
    """The room list page's socket (/ws/rooms/): it only listens to the list
    of rooms and the user's read marks, and answers a sync with the user's
    current list. Sending a message here is refused (4403)."""

    HANDLERS = {protocol.Sync: "sync", protocol.Post: "post", protocol.Visibility: "visibility"}
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
        metrics.frame_refused(metrics.NOT_ALLOWED)
        await self.error("This page cannot send messages: open a room.")
        await self.close(READ_ONLY)


class NoSuchRoom(AsyncWebsocketConsumer):
    """A socket path that names no room (a mistyped slug, a conversation id
    that is no id): closed 4404 as an unknown room is. Without it the router
    raises, and the browser sees a failed handshake (HTTP 500) that htmx
    retries forever. Accepted first, so the close code reaches the page."""

    async def connect(self):
        await self.accept()
        await self.close(NOT_FOUND)


class RoomListFeed:
    """What every room page socket shares: it follows the list of rooms and
    its user's read marks, and answers a sync with the user's whole list."""

    def __init__(self, socket):
        self.socket = socket

    async def join(self):
        await get_hub().join(LIST_GROUP, self.socket)
        await get_hub().join(user_group(self.socket.user.pk), self.socket)

    async def send(self):
        """This user's room list with their counts: after a reconnect, what
        changed while the socket was away (and between page load and connect)."""
        user = self.socket.user
        rooms = await db(lambda: list(Room.objects.sidebar_for(user)))()
        await self.socket.send_frame(broadcasts.room_list(rooms))
