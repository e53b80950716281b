"""What every page's socket has (docs/architecture.md, docs/security.md).

`PageSocket` accepts only signed-in, active users within their socket cap,
reads each frame once through realtime/protocol.py, spends the user's
budget for that kind of frame, and hands the typed frame to the handler
its subclass's HANDLERS table names. Whatever a frame holds, the answer is
a fragment or a refusal: nothing raises out of it. It is also the hub's
`Socket` (realtime/hub.py): frames out, control events, reconnect.

What a page does over its socket is its feature's subclass (the rooms':
rooms/sockets.py).
"""

import logging
import re
import uuid

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError

from core import logs, metrics
from core.limits import FloodError

from . import broadcast, budgets, protocol, sockets, transport, visibility
from .hub import get_hub

log = logging.getLogger(__name__)
access = logging.getLogger("chat.access")

# Close codes the page understands (frontend/static/frontend/socket.js).
NOT_SIGNED_IN = 4401
READ_ONLY = 4403
NOT_FOUND = 4404
TOO_MANY_SOCKETS = 4429
# "Reconnect and catch up": servers may only send 1000 or 3000-4999, so
# the page adds this code to htmx's reconnect codes (base.html).
RECONNECT = 4012

LONE_SURROGATE = re.compile("[\ud800-\udfff]")

NOTHING_CHANGED = "Chat is briefly unavailable; nothing was changed. Try again in a moment."


def db(function):
    return database_sync_to_async(function)


def _sendable(text):
    """Refused text as a frame can carry it back: a lone surrogate (which a
    JSON escape can smuggle in, and the model layer refuses) has no UTF-8
    form, and the server could not send the frame; it goes back as U+FFFD."""
    return LONE_SURROGATE.sub("\ufffd", text) if isinstance(text, str) else text


class PageSocket(AsyncWebsocketConsumer):
    """A signed-in page's socket; subclasses set HANDLERS (frame type -> method name)."""

    HANDLERS = {}
    # A refusal (an exception class) that means this page can no longer act
    # here closes it, with this code.
    CLOSE_FOR = {}
    NOT_HERE = "This page does not know that kind of frame: nothing was done."
    # No channel per socket: the process's hub receives the groups' events
    # once and calls the hub.Socket methods below on each socket.
    channel_layer_alias = None
    user = None
    user_pk = None
    websocket = None  # daphne's connection, written to directly (realtime/transport.py)
    ready = False  # joined and listening: frames are handled from then on
    on_screen = False  # the page says its tab is visible (realtime/visibility.py)

    async def dispatch(self, message):
        """Channels' dispatch, without its database hop: before every
        message it closes old connections in the database thread, which
        every socket shares, so a typing signal waited behind any socket's
        queries and a post took two hops instead of one. Handlers here reach
        the database only through db() (database_sync_to_async), which
        closes old connections in the thread, before and after."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

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
        # Read by the hub for every socket and fragment it filters: a plain
        # int, not the session's lazy user, whose every attribute is a proxy call.
        self.user_pk = user.pk
        self.socket_id = uuid.uuid4().hex
        # Every line logged for this socket from here on names it and its user (core/logs.py).
        logs.bind(socket_id=self.socket_id, user_id=user.pk, room=logs.room_label(self.scope["url_route"]["kwargs"]))
        self.username = user.get_username()
        self.transport = transport.find(self.base_send)
        self.websocket = transport.websocket(self.base_send)
        try:
            opened = await sockets.registry().open(user.pk, self.socket_id)
        except Exception:
            log.warning("could not count the sockets of user %s; the page will retry", user.pk, exc_info=True)
            await self.close(RECONNECT)
            return None
        self.user = user
        if not opened:
            await self.send_frame(broadcast.notice(sockets.TOO_MANY))
            await self.close(TOO_MANY_SOCKETS)
            return None
        access.info("socket opened: %s", self.scope["path"])
        return user

    async def disconnect(self, code):
        if self.user is not None:
            access.info("socket closed (%s): %s", code, self.scope["path"])
            await get_hub().leave_all(self)
            try:
                await sockets.registry().close(self.user.pk, self.socket_id)
                if self.on_screen:
                    await visibility.record().hide(self.user.pk, self.socket_id)
            except Exception:  # Redis away: the entries expire by themselves
                log.warning("could not uncount a socket of user %s", self.user.pk, exc_info=True)

    async def receive(self, text_data=None, bytes_data=None):
        if not self.ready:
            return
        try:
            key, frame = protocol.parse(text_data, bytes_data)
            handler = self.HANDLERS.get(type(frame))
            if handler is None:
                raise protocol.BadFrame(self.NOT_HERE)
        except protocol.BadFrame as bad:
            metrics.frame_refused(metrics.MALFORMED)
            await self.error(str(bad), **bad.refused)
            return
        if not await budgets.spend(self.user.pk, key):
            metrics.frame_refused(metrics.OVER_BUDGET)
            await self.error(budgets.OVER)
            return
        try:
            await getattr(self, handler)(frame)
        except Exception:
            # A handler's own refusals are answered inside it; this is a bug
            # or an outage, and still the socket stays usable.
            log.exception("handling a %s frame failed", key)
            metrics.frame_refused(metrics.UNAVAILABLE)
            await self.error(NOTHING_CHANGED)

    async def refuse(self, error, **refused):
        """Tell the page why (`refused` goes back with it); close the socket
        when the refusal means this page can no longer act here."""
        reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        metrics.frame_refused(
            metrics.FLOOD
            if isinstance(error, FloodError)
            else metrics.INVALID
            if isinstance(error, ValidationError)
            else metrics.NOT_ALLOWED
        )
        await self.error(reason, **refused)
        code = next((code for kind, code in self.CLOSE_FOR.items() if isinstance(error, kind)), None)
        if code is not None:
            await self.close(code)

    async def error(self, reason, text=None, client_id=None, edit=None):
        """An error fragment for this socket only; `text` goes back into the
        composer, and the page stops waiting for `client_id` to be confirmed
        (or for its edit of message `edit`)."""
        text, client_id = _sendable(text), _sendable(client_id)
        await self.send_frame(broadcast.render("chat-error", error=reason, text=text, client_id=client_id, edit=edit))

    async def visibility(self, frame):
        """The page's tab was shown or hidden (every page socket's frame)."""
        if frame.visible == self.on_screen:
            return
        self.on_screen = frame.visible
        try:
            if frame.visible:
                await visibility.record().show(self.user.pk, self.socket_id)
            else:
                await visibility.record().hide(self.user.pk, self.socket_id)
        except Exception:
            # Redis away: the heartbeat writes the entry again, or it expires.
            log.warning(
                "could not record that a page of user %s is %s",
                self.user.pk,
                "on screen" if frame.visible else "hidden",
                exc_info=True,
            )

    # --- hub.Socket --------------------------------------------------------------------

    async def send_frame(self, html):
        # What earlier frames left unsent (not this one, which may be large
        # and on its way): past the cap, the client is not reading. Drop it
        # rather than buffer without limit; a real page reconnects and
        # catches up from the database.
        if transport.unsent_bytes(self.transport) > settings.CHAT_SOCKET_MAX_BUFFER_BYTES:
            log.info("dropping a socket of user %s that stopped reading", self.user_pk)
            transport.abort(self.transport)
            return
        if self.websocket is not None:
            transport.write(self.websocket, html)
        else:
            await self.base_send({"type": "websocket.send", "text": html})

    async def control(self, event):
        if self.concerned_by(event):
            await self.send_frame(event["html"])
            await self.close(NOT_SIGNED_IN if event["type"] == broadcast.SIGNED_OUT else NOT_FOUND)

    def concerned_by(self, event):
        """Whether a control event closes this socket: the user signed out
        (this session's sockets, all of them, or all but one session's), the room was deleted, or
        its readers changed and the user is not among them."""
        if event["type"] == broadcast.SIGNED_OUT:
            session = self.scope.get("session")
            own = session.session_key if session is not None else None
            if event.get("keep_session_key") is not None:
                return own != event["keep_session_key"]
            key = event.get("session_key")
            return key is None or own == key
        if event["type"] == broadcast.CLOSED:
            return True
        return (
            event["type"] == broadcast.ACCESS and event["allowed"] is not None and self.user_pk not in event["allowed"]
        )

    async def reconnect(self):
        """The page reconnects and catches up (the channel layer failed)."""
        await self.close(RECONNECT)
