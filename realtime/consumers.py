"""WebSocket endpoint of a room page: translates frames to model calls, nothing more."""

import json
import logging
import time
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from . import broadcast, presence
from .hub import get_hub
from rooms.models import Message, ReadMark, Room

log = logging.getLogger(__name__)

# Close codes the page understands (SPEC section 6).
NOT_SIGNED_IN = 4401
READ_ONLY = 4403
NOT_FOUND = 4404
# "Reconnect and catch up": servers may only send 1000 or 3000-4999, so
# the page adds this code to htmx's reconnect codes (base.html).
RECONNECT = 4012

# JSON escaping can at most multiply text by 6 (\uXXXX), plus the headers htmx adds.
FRAME_OVERHEAD = 16 * 1024
# A catch-up request names at most this many messages the page shows.
MAX_KNOWN_IDS = 2000
# Seconds between two "is typing" broadcasts of one socket.
TYPING_THROTTLE = 2

UNAVAILABLE = "Chat is briefly unavailable; your message was not sent. Try again in a moment."


class BadFrame(Exception):
    pass


class RoomConsumer(AsyncWebsocketConsumer):
    # No channel per socket: the process's hub receives the room's events
    # once and calls send_frame / control on each socket (rooms/hub.py).
    channel_layer_alias = None
    room = None
    last_typing = float("-inf")
    read_up_to = 0

    async def accept_signed_in(self):
        """Accept the socket; returns the user, or None after closing it 4401.
        Accept before closing: a socket closed during the handshake reaches
        the browser as HTTP 403 / code 1006, which htmx retries forever."""
        await self.accept()
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(NOT_SIGNED_IN)
            return None
        return user

    async def connect(self):
        if (user := await self.accept_signed_in()) is None:
            return
        room = await Room.objects.filter(slug=self.scope["url_route"]["kwargs"]["slug"]).afirst()
        if room is None or not await database_sync_to_async(room.is_visible_to)(user):
            await self.close(NOT_FOUND)
            return
        self.room = room
        self.user = user
        self.socket_id = uuid.uuid4().hex
        self.username = user.get_username()
        try:
            await get_hub().join(room.group_name, self, presence=True)
            await self.join_room_list()
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

    async def disconnect(self, code):
        if self.room is not None:
            await self.leave_room()

    async def leave_room(self):
        await get_hub().leave_all(self)
        try:
            await presence.backend().leave(self.room.pk, self.socket_id)
            await presence.announce(self.room.pk, self.room.group_name)
        except Exception:  # Redis away: the entry expires by itself
            log.warning("could not leave room %s cleanly", self.room.pk, exc_info=True)

    async def receive(self, text_data=None, bytes_data=None):
        if self.room is None or (payload := await self.parsed(text_data)) is None:
            return
        if "sync" in payload:
            if await self.catch_up(payload["sync"]):
                await self.send_room_list()
        elif "read" in payload:
            await self.read(payload["read"])
        elif "typing" in payload:
            await self.typing()
        elif "edit" in payload:
            await self.change(payload, "edit")
        elif "delete" in payload:
            await self.change(payload, "delete")
        else:
            await self.post(payload)

    async def typing(self):
        """Tell the room this user is typing: never stored, at most one
        broadcast per socket every TYPING_THROTTLE seconds."""
        now = time.monotonic()
        if now - self.last_typing < TYPING_THROTTLE or self.room.is_archived:
            return
        self.last_typing = now
        await broadcast.typing(self.room.group_name, self.user.pk, self.username)

    async def parsed(self, text_data):
        """The frame's JSON object, or None once the page has been told what is wrong with it."""
        try:
            return self.parse(text_data)
        except BadFrame as error:
            await self.error(str(error))
            return None

    def parse(self, text_data):
        if text_data is None:
            raise BadFrame("Messages must be text frames.")
        limit = settings.CHAT_MAX_MESSAGE_LENGTH
        # Checked before parsing: nobody gets to make us parse megabytes.
        if len(text_data) > limit * 6 + FRAME_OVERHEAD:
            raise BadFrame(f"Messages are limited to {limit} characters.")
        try:
            payload = json.loads(text_data)
        except ValueError:
            raise BadFrame("That frame was not valid JSON.") from None
        if not isinstance(payload, dict):
            raise BadFrame("A frame must be a JSON object.")
        return payload

    async def post(self, payload):
        text = payload.get("message")
        if not isinstance(text, str):
            await self.error("A frame must carry the message text in its 'message' field.")
            return
        client_id = payload.get("client_id") or None
        if client_id is not None and not isinstance(client_id, str):
            await self.error("'client_id' must be a string.", text=text)
            return
        refused = {"text": text, "client_id": client_id}
        try:
            await database_sync_to_async(self.post_sync)(text, client_id)
        except ValidationError as error:
            await self.error(" ".join(error.messages), **refused)
        except Room.DoesNotExist:
            await self.error("This room no longer exists.", **refused)
            await self.close(NOT_FOUND)
        except PermissionDenied as error:
            await self.error(str(error), **refused)
            await self.close(READ_ONLY if self.room.is_archived else NOT_FOUND)
        except Exception:
            # Database or Redis away: say so, hand the text back, keep the socket.
            log.exception("posting to room %s failed", self.room.pk)
            await self.error(UNAVAILABLE, **refused)

    async def change(self, payload, action):
        """Edit or delete one message: {"edit": id, "message": text} or
        {"delete": id}. The page keeps the edit box open until the edited
        message comes back, so a refusal only needs to say why."""
        pk = payload[action]
        if isinstance(pk, bool) or not (isinstance(pk, int) or isinstance(pk, str) and pk.isdigit()):
            await self.error(f"'{action}' must be a message id.")
            return
        text = payload.get("message")
        if action == "edit" and not isinstance(text, str):
            await self.error("An edit must carry the new text in its 'message' field.")
            return
        refused = {"edit": int(pk)} if action == "edit" else {}
        try:
            await database_sync_to_async(self.change_sync)(int(pk), action, text)
        except Message.DoesNotExist:
            await self.error("That message no longer exists.", **refused)
        except (ValidationError, PermissionDenied) as error:
            reasons = error.messages if isinstance(error, ValidationError) else [str(error)]
            await self.error(" ".join(reasons), **refused)
        except Exception:
            log.exception("%s of message %s failed", action, pk)
            await self.error("Chat is briefly unavailable; nothing was changed. Try again in a moment.")

    def change_sync(self, pk, action, text):
        message = Message.objects.get(room=self.room, pk=pk)
        if action == "edit":
            message.edit(self.user, text)
        else:
            message.delete_by(self.user)

    def post_sync(self, text, client_id):
        # Fresh state: staff may have archived the room or removed the member.
        self.room.refresh_from_db(fields=["is_archived", "is_private"])
        return Message.objects.post(self.room, self.user, text, client_id)

    async def catch_up(self, request):
        """Send what the page missed while it was disconnected: every message
        after its newest, in order, and the edits and deletions among those
        it shows. `revised` maps ids to the revision shown, where above 0.
        Returns False for a malformed request (the page got an error)."""
        try:
            after = int(request.get("after", 0))
            known = [int(pk) for pk in request.get("known", [])][:MAX_KNOWN_IDS]
            revised = {int(pk): int(revision) for pk, revision in request.get("revised", {}).items()}
        except (AttributeError, TypeError, ValueError):
            await self.error(
                "A sync request needs 'after' (a message id), 'known' (a list of ids) "
                "and optionally 'revised' (an object of id: revision)."
            )
            return False
        for html in await database_sync_to_async(self.catch_up_sync)(after, known, revised):
            await self.send(text_data=html)
        return True

    def catch_up_sync(self, after, known, revised):
        batch_size = settings.CHAT_CATCH_UP_BATCH
        still_there = set(Message.objects.filter(room=self.room, pk__in=known).values_list("pk", flat=True))
        gone = sorted(set(known) - still_there)
        edited = Message.objects.revised_since(self.room, {pk: revised.get(pk, 0) for pk in still_there})
        frames = []
        while True:
            missed = Message.objects.missed_since(self.room, after, batch_size)
            frames.append(broadcast.catch_up(missed, gone, edited))
            gone, edited = [], []
            if len(missed) < batch_size:
                return frames
            after = missed[-1].pk

    async def error(self, reason, text=None, client_id=None, edit=None):
        """An error fragment for this socket only; `text` goes back into the
        composer, and the page stops waiting for `client_id` to be confirmed
        (or for its edit of message `edit`)."""
        html = broadcast.render("chat-error", error=reason, text=text, client_id=client_id, edit=edit)
        await self.send(text_data=html)

    # Called by the hub with events from rooms/broadcast.py.

    async def send_frame(self, html):
        await self.base_send({"type": "websocket.send", "text": html})

    async def control(self, event):
        if event["type"] == broadcast.CLOSED or (
            event["type"] == broadcast.ACCESS
            and event["allowed"] is not None
            and self.user.pk not in event["allowed"]
        ):
            await self.send(text_data=event["html"])
            await self.close(NOT_FOUND)

    async def reconnect(self):
        """The page reconnects and catches up (the channel layer failed)."""
        await self.close(RECONNECT)

    @property
    def room_pk(self):
        return self.room.pk

    # The room list and unread counts (shared with RoomListConsumer).

    @property
    def user_pk(self):
        return self.user.pk

    async def join_room_list(self):
        """Also receive changes to the list of rooms and this user's read marks."""
        await get_hub().join(broadcast.LIST_GROUP, self)
        await get_hub().join(broadcast.user_group(self.user.pk), self)

    async def send_room_list(self):
        """This user's room list with their counts: after a reconnect, what
        changed while the socket was away (and between page load and connect)."""
        rooms = await database_sync_to_async(lambda: list(Room.objects.sidebar_for(self.user)))()
        await self.send(text_data=broadcast.room_list(rooms))

    async def read(self, message_id):
        """The page has shown this room up to `message_id`: move the user's mark."""
        if type(message_id) is not int or message_id <= 0:
            await self.error("'read' must be a message id.")
            return
        if message_id <= self.read_up_to:
            return  # the mark only moves forward; spare the database
        self.read_up_to = message_id
        try:
            await database_sync_to_async(ReadMark.objects.mark_read)(self.user, self.room, message_id)
        except PermissionDenied:
            await self.close(NOT_FOUND)
        except Exception:  # database away: the next read frame tries again
            log.warning("could not mark room %s read", self.room.pk, exc_info=True)
            self.read_up_to = 0

    # Presence.


class RoomListConsumer(RoomConsumer):
    """WebSocket of the room list page (/ws/rooms/): it only listens, to the
    list of rooms and the user's read marks, and answers a sync with the
    user's current list. Sending a message here is refused (4403)."""

    listening = False

    async def connect(self):
        if (user := await self.accept_signed_in()) is None:
            return
        self.user = user
        try:
            await self.join_room_list()
        except Exception:
            log.warning("joining the room list failed; the page will retry", exc_info=True)
            await get_hub().leave_all(self)
            await self.close(RECONNECT)
            return
        self.listening = True

    async def disconnect(self, code):
        await get_hub().leave_all(self)

    async def receive(self, text_data=None, bytes_data=None):
        if not self.listening or (payload := await self.parsed(text_data)) is None:
            return
        if "sync" in payload:
            await self.send_room_list()
        elif "message" in payload:
            await self.error("This page cannot send messages: open a room.")
            await self.close(READ_ONLY)
