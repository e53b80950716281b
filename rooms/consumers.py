"""WebSocket endpoint of a room page: translates frames to model calls, nothing more."""

import asyncio
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from . import broadcast, presence
from .models import Message, Room

log = logging.getLogger(__name__)

# Close codes the page understands (SPEC section 6).
NOT_SIGNED_IN = 4401
READ_ONLY = 4403
NOT_FOUND = 4404

# JSON escaping can at most multiply text by 6 (\uXXXX), plus the headers htmx adds.
FRAME_OVERHEAD = 16 * 1024


class RoomConsumer(AsyncWebsocketConsumer):
    room = None

    async def connect(self):
        # Accept before closing: a socket closed during the handshake reaches
        # the browser as HTTP 403 / code 1006, which htmx retries forever.
        await self.accept()
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(NOT_SIGNED_IN)
            return
        room = await Room.objects.filter(slug=self.scope["url_route"]["kwargs"]["slug"]).afirst()
        if room is None or not await database_sync_to_async(room.is_visible_to)(user):
            await self.close(NOT_FOUND)
            return
        self.room = room
        self.user = user
        await self.channel_layer.group_add(room.group_name, self.channel_name)
        await self.announce(await presence.backend().join(room.pk, self.channel_name, user.get_username()))
        self.heartbeat = asyncio.create_task(self.keep_presence())

    async def disconnect(self, code):
        if self.room is None:
            return
        self.heartbeat.cancel()
        await self.channel_layer.group_discard(self.room.group_name, self.channel_name)
        await self.announce(await presence.backend().leave(self.room.pk, self.channel_name))

    async def receive(self, text_data=None, bytes_data=None):
        if self.room is None:
            return
        if text_data is None:
            await self.error("Messages must be text frames.")
            return
        limit = settings.CHAT_MAX_MESSAGE_LENGTH
        # Checked before parsing: nobody gets to make us parse megabytes.
        if len(text_data) > limit * 6 + FRAME_OVERHEAD:
            await self.error(f"Messages are limited to {limit} characters.")
            return
        try:
            payload = json.loads(text_data)
        except ValueError:
            await self.error("That frame was not valid JSON.")
            return
        text = payload.get("message") if isinstance(payload, dict) else None
        if not isinstance(text, str):
            await self.error("A frame must carry the message text in its 'message' field.")
            return
        try:
            await database_sync_to_async(self.post)(text)
        except ValidationError as error:
            await self.error(" ".join(error.messages), text=text)
        except Room.DoesNotExist:
            await self.error("This room no longer exists.", text=text)
            await self.close(NOT_FOUND)
        except PermissionDenied as error:
            await self.error(str(error), text=text)
            await self.close(READ_ONLY if self.room.is_archived else NOT_FOUND)

    def post(self, text):
        # Fresh state: staff may have archived the room or removed the member.
        self.room.refresh_from_db(fields=["is_archived", "is_private"])
        return Message.objects.post(self.room, self.user, text)

    async def error(self, reason, text=None):
        """An error fragment for this socket only; `text` goes back into the composer."""
        await self.send(text_data=broadcast.render("chat-error", error=reason, text=text))

    async def room_fragment(self, event):
        await self.send(text_data=event["html"])

    async def announce(self, people):
        await broadcast.presence_changed(self.room.group_name, people)

    async def keep_presence(self):
        """Refresh this socket's presence entry so it outlives TTL while open."""
        while True:
            await asyncio.sleep(presence.HEARTBEAT)
            try:
                await presence.backend().refresh(self.room.pk, self.channel_name, self.user.get_username())
            except Exception:  # Redis briefly away: the next beat retries
                log.warning("presence heartbeat failed for %s", self.channel_name, exc_info=True)
