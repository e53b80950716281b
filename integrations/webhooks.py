"""Outgoing webhooks: what a bot's URL receives, how it is signed, and the
refusal of addresses inside the server's own network (SSRF).

The address is checked when the bot is saved (a clear error for staff) and
again when sending, against the address actually connected to: a name that
resolved to a public address yesterday may resolve to 127.0.0.1 today, so
the connection is made to the checked address itself (the Host header and
TLS name stay the URL's). Redirects are not followed.
"""

import http.client
import json
import socket
import threading
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from project import netguard

from . import tokens

USER_AGENT = "chat-webhooks/1"
# Most of an answer read: a reply longer than a message is refused anyway.
MAX_ANSWER_BYTES = 64 * 1024


class RefusedURL(ValueError):
    """The URL may not be called: not http(s), unresolvable, or an address that is not public."""


def resolve(url):
    """(scheme, host, port, path, address to connect to) for a URL that may be
    called now; raises RefusedURL."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise RefusedURL("Webhook URLs must be http:// or https:// with a host.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = netguard.public_addresses(parts.hostname, port, allow_internal=settings.CHAT_WEBHOOK_ALLOW_PRIVATE)
    except netguard.NotPublic as refusal:
        raise RefusedURL(f"{refusal}: webhooks only call public addresses "
                         "(CHAT_WEBHOOK_ALLOW_PRIVATE=true allows others).") from None
    except netguard.Unresolvable as refusal:
        raise RefusedURL(str(refusal)) from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path, addresses[0]


def check_url(url):
    """Raise RefusedURL for a URL that would be refused now (used when a bot is saved)."""
    resolve(url)


def place(room):
    """Where the message was: a room by slug (what the API posts to), or a
    direct conversation by id and participants (answered through the webhook)."""
    if room.is_direct:
        return {"kind": "direct", "id": room.pk, "participants": list(room.participant_names)}
    return {"kind": "room", "slug": room.slug, "name": room.name}


def payload(bot, message, event, absolute_url):
    """The JSON body: what happened ("mention" or "direct_message"), the
    message and where to see it."""
    return {
        "event": event,
        "bot": {"id": bot.pk, "name": bot.name},
        "room": place(message.room),
        "message": {
            "id": message.pk,
            "text": message.text,
            "author": message.author_handle,
            "created_at": message.created_at,
            "url": absolute_url,
        },
    }


def encode(body):
    return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def post(url, body, token, timeout):
    """POST the raw `body` signed with `token`; returns (status, content type, answer bytes).
    Raises RefusedURL, TimeoutError when the whole exchange takes more than
    `timeout` seconds, or OSError / http.client errors for a failed call."""
    scheme, host, port, path, address = resolve(url)
    connection_class = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    connection = connection_class(host, port, timeout=timeout)
    with Deadline(timeout) as deadline:
        # Connect to the address that was checked, not to a second lookup's answer.
        connection._create_connection = lambda _address, *args, **kwargs: deadline.connect(address, port)
        try:
            connection.request("POST", path, body=body, headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-Chat-Signature": tokens.sign(body, token),
            })
            response = connection.getresponse()
            answer = response.status, response.getheader("Content-Type", ""), read_answer(response)
        except (OSError, http.client.HTTPException):
            if not deadline.expired:
                raise
        finally:
            connection.close()
        if deadline.expired:
            # Whatever was read is cut short: a half answer is no answer.
            raise TimeoutError(f"timed out: no complete answer within {timeout} s")
    return answer


class Deadline:
    """One deadline for a whole call: connecting, sending, the status line,
    the headers and the body.

    A socket timeout bounds each wait for bytes, not their sum: an endpoint
    that sends a byte every second never trips it, and http.client reads the
    status line and headers a line at a time, each line in as many reads as
    the endpoint likes. So a timer shuts the connection down when the time is
    up, whatever is waiting on it then; the call sees its socket closed and
    `expired` says why."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        # A duplicate of the connection's socket: shutting it down ends the
        # connection for both, and TLS takes the original over (detaching it).
        self._watched = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()
        with self._lock:
            if self._watched is not None:
                self._watched.close()
                self._watched = None

    def connect(self, address, port):
        """A TCP connection to (address, port), watched until the deadline."""
        sock = socket.create_connection((address, port), timeout=self.seconds)
        with self._lock:
            if self.expired:
                sock.close()
                raise TimeoutError("timed out while connecting")
            self._watched = sock.dup()
        return sock

    def _expire(self):
        with self._lock:
            self.expired = True
            if self._watched is not None:
                try:
                    self._watched.shutdown(socket.SHUT_RDWR)
                except OSError:  # closed already
                    pass


def read_answer(response):
    """At most MAX_ANSWER_BYTES of the body (the deadline bounds the time)."""
    chunks, size = [], 0
    while size < MAX_ANSWER_BYTES:
        chunk = response.read1(min(8192, MAX_ANSWER_BYTES - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def reply_text(content_type, answer):
    """The text of a bot's answer: {"text": ...} as JSON, or the plain body; None for nothing to post."""
    text = answer.decode("utf-8", errors="replace").strip()
    if not text:
        return None
    if "json" in content_type or text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return text
        reply = data.get("text") if isinstance(data, dict) else None
        return reply if isinstance(reply, str) and reply.strip() else None
    return text
