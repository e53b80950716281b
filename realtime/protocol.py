"""What a page may send over its WebSocket: one table of frame kinds.

Every frame is a JSON object of exactly one kind, named by the one key of
KINDS it carries: `{"edit": 12, "message": "new text"}` is an edit. A frame
that carries none of those keys but a `message` is a post: that is what the
composer's form sends through htmx (the `headers` htmx adds,
and any other key, are ignored). Anything else is refused, never posted.

parse() is the one place that reads a frame: it returns a typed frame or
raises BadFrame with the sentence the page shows in #chat-errors (and what
to hand back to the composer). Consumers map each frame type to a short
handler; the rules (who may post, edit, delete) live in the model layer.

Each kind also names its budget (docs/security.md): how many frames of that
kind one user may send in a window, across sockets and processes.

To add a frame kind: a dataclass, a reader below, a row in KINDS, and a
handler in the socket that accepts it (rooms/sockets.py for a room page).
"""

import json
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings

from core.ids import BadId, parse_id

# JSON escaping can at most multiply text by 6 (\uXXXX), plus the headers htmx adds.
FRAME_OVERHEAD = 16 * 1024
# A catch-up request names at most this many messages the page shows.
MAX_KNOWN_IDS = 2000
CLIENT_ID_LENGTH = 64


class BadFrame(Exception):
    """A frame the page must be told about. `refused` goes back with the
    error: the text for the composer, the client id the page stops waiting
    for, or the message whose edit was refused."""

    def __init__(self, reason, **refused):
        super().__init__(reason)
        self.refused = refused


@dataclass(frozen=True)
class Post:
    text: str
    client_id: str | None = None
    # The message this one answers (its quote goes above it), if any.
    reply_to: int | None = None


@dataclass(frozen=True)
class Sync:
    after: int = 0
    known: tuple[int, ...] = ()
    # Message id -> the revision the page shows, for edited messages.
    revised: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Read:
    message_id: int


@dataclass(frozen=True)
class Typing:
    pass


@dataclass(frozen=True)
class Edit:
    message_id: int
    text: str


@dataclass(frozen=True)
class Delete:
    message_id: int


@dataclass(frozen=True)
class Visibility:
    """Whether the page's tab is on screen now (realtime/visibility.py)."""

    visible: bool


@dataclass(frozen=True)
class React:
    """Add one's emoji reaction to a message, or take it back."""

    message_id: int
    emoji: str


def _message_id(value, key):
    # A number, or ASCII digits as forms send them (core/ids.py says why no other digits).
    try:
        return parse_id(value)
    except BadId:
        raise BadFrame(f"'{key}' must be a message id.") from None


def _text(payload, usage, **refused):
    text = payload.get("message")
    if not isinstance(text, str):
        raise BadFrame(usage, **refused)
    return text


def read_post(payload):
    text = _text(payload, "A frame must carry the message text in its 'message' field.")
    client_id = payload.get("client_id") or None
    if client_id is not None and not isinstance(client_id, str):
        raise BadFrame("'client_id' must be a string.", text=text)
    if client_id is not None and len(client_id) > CLIENT_ID_LENGTH:
        raise BadFrame(f"'client_id' is limited to {CLIENT_ID_LENGTH} characters.", text=text)
    reply_to = payload.get("reply_to")
    if reply_to == "":  # the composer's hidden field when not replying
        reply_to = None
    if reply_to is not None:
        try:
            reply_to = _message_id(reply_to, "reply_to")
        except BadFrame as bad:
            raise BadFrame(str(bad), text=text, client_id=client_id) from None
    return Post(text, client_id, reply_to)


SYNC_USAGE = (
    "A sync request needs 'after' (a message id), 'known' (a list of ids) "
    "and optionally 'revised' (an object of id: revision)."
)


def read_sync(payload):
    request = payload["sync"]
    try:
        after = _whole(request.get("after", 0))
        known = request.get("known", [])
        revised = request.get("revised", {})
        if not isinstance(known, list) or not isinstance(revised, dict):
            raise TypeError
        return Sync(
            after=after,
            known=tuple(_whole(pk) for pk in known[:MAX_KNOWN_IDS]),
            revised={_whole(pk): _whole(revision) for pk, revision in list(revised.items())[:MAX_KNOWN_IDS]},
        )
    except (AttributeError, TypeError, ValueError):  # BadId is a ValueError
        raise BadFrame(SYNC_USAGE) from None


def _whole(value):
    """An id or 0 ("after 0": from the start; revision 0: never edited)."""
    return parse_id(value, minimum=0)


def read_read(payload):
    return Read(_message_id(payload["read"], "read"))


def read_typing(payload):
    return Typing()


def read_edit(payload):
    message_id = _message_id(payload["edit"], "edit")
    return Edit(message_id, _text(payload, "An edit must carry the new text in its 'message' field.", edit=message_id))


def read_delete(payload):
    return Delete(_message_id(payload["delete"], "delete"))


def read_react(payload):
    message_id = _message_id(payload["react"], "react")
    emoji = payload.get("emoji")
    # Longer than any emoji: the model layer says what a valid one is.
    if not isinstance(emoji, str) or not emoji or len(emoji) > 64:
        raise BadFrame("A reaction must carry one emoji in its 'emoji' field.")
    return React(message_id, emoji)


def read_visibility(payload):
    visible = payload["visible"]
    if not isinstance(visible, bool):
        raise BadFrame("'visible' must be true or false.")
    return Visibility(visible)


class Kind(NamedTuple):
    read: object  # payload -> frame, or BadFrame
    # Frames of this kind one user may send per window, across sockets and
    # processes (settings.CHAT_FRAME_BUDGETS overrides), and the window.
    budget: int
    seconds: int


# key -> how to read it.
KINDS = {
    "sync": Kind(read_sync, budget=30, seconds=60),
    "read": Kind(read_read, budget=120, seconds=60),
    "typing": Kind(read_typing, budget=60, seconds=60),
    "edit": Kind(read_edit, budget=30, seconds=60),
    "delete": Kind(read_delete, budget=30, seconds=60),
    # Flood control also counts reactions where they are saved (rooms/flood.py).
    "react": Kind(read_react, budget=60, seconds=60),
    # Every switch of tabs sends one.
    "visible": Kind(read_visibility, budget=120, seconds=60),
}
# Posts: flood control (CHAT_RATE_LIMIT_*, checked where messages are saved)
# counts the messages; the frames get twice that, for resends after a
# reconnect and refused ones. budget() fills it in from the settings.
POST = Kind(read_post, budget=None, seconds=None)


def kind_of(payload):
    """The key naming the frame's kind ("message" for a post)."""
    keys = [key for key in KINDS if key in payload]
    if len(keys) > 1:
        raise BadFrame(f"A frame is one thing at a time, not {' and '.join(repr(k) for k in keys)}.")
    if keys:
        return keys[0]
    if "message" in payload:
        return "message"
    raise BadFrame("This page does not know that kind of frame: nothing was done.")


def parse(text_data, bytes_data=None):
    """(kind key, typed frame) for one WebSocket frame, or BadFrame."""
    if text_data is None:
        raise BadFrame("Messages must be text frames.")
    limit = settings.CHAT_MAX_MESSAGE_LENGTH
    # Checked before parsing: nobody gets to make us parse megabytes.
    if len(text_data) > limit * 6 + FRAME_OVERHEAD:
        raise BadFrame(f"Messages are limited to {limit} characters.")
    try:
        payload = json.loads(text_data)
    except (ValueError, RecursionError):
        raise BadFrame("That frame was not valid JSON.") from None
    if not isinstance(payload, dict):
        raise BadFrame("A frame must be a JSON object.")
    key = kind_of(payload)
    kind = POST if key == "message" else KINDS[key]
    return key, kind.read(payload)


def budget(key):
    """(frames, seconds) one user may send of this kind; 0 frames: no limit."""
    if key == "message":
        limit, seconds = 2 * settings.CHAT_RATE_LIMIT_MESSAGES, settings.CHAT_RATE_LIMIT_SECONDS
    else:
        limit, seconds = KINDS[key].budget, KINDS[key].seconds
    return settings.CHAT_FRAME_BUDGETS.get(key, limit), seconds
