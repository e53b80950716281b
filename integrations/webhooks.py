"""Outgoing webhooks: what a bot's URL receives, how it is signed, and the
refusal of addresses inside the server's own network (SSRF).

The address is checked when the bot is saved (a clear error for staff) and
again when sending, against the address actually connected to: a name that
resolved to a public address yesterday may resolve to 127.0.0.1 today, so
the connection is made to the checked address itself (the Host header and
TLS name stay the URL's). Redirects are not followed.
"""

import http.client
import ipaddress
import json
import socket
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from . import tokens

USER_AGENT = "chat-webhooks/1"
# Most of an answer read: a reply longer than a message is refused anyway.
MAX_ANSWER_BYTES = 64 * 1024


class RefusedURL(ValueError):
    """The URL may not be called: not http(s), unresolvable, or an internal address."""


def is_internal(address):
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def resolve(url):
    """(scheme, host, port, path, address to connect to) for a URL that may be
    called now; raises RefusedURL."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise RefusedURL("Webhook URLs must be http:// or https:// with a host.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise RefusedURL(f"{parts.hostname} does not resolve: {error}") from None
    addresses = [info[4][0] for info in infos]
    if not settings.CHAT_WEBHOOK_ALLOW_PRIVATE:
        internal = [address for address in addresses if is_internal(address)]
        if internal:
            raise RefusedURL(
                f"{parts.hostname} resolves to {internal[0]}, an internal address "
                "(loopback, private or link-local); set CHAT_WEBHOOK_ALLOW_PRIVATE=true to allow it."
            )
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
            "author": message.author_name,
            "created_at": message.created_at,
            "url": absolute_url,
        },
    }


def encode(body):
    return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def post(url, body, token, timeout):
    """POST the raw `body` signed with `token`; returns (status, content type, answer bytes).
    Raises RefusedURL, or OSError / http.client errors for a failed call."""
    scheme, host, port, path, address = resolve(url)
    connection_class = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    connection = connection_class(host, port, timeout=timeout)
    # Connect to the address that was checked, not to a second lookup's answer.
    connection._create_connection = lambda _address, *args, **kwargs: socket.create_connection(
        (address, port), *args, **kwargs
    )
    try:
        connection.request("POST", path, body=body, headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Chat-Signature": tokens.sign(body, token),
        })
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), read_answer(response, timeout)
    finally:
        connection.close()


def read_answer(response, timeout):
    """At most MAX_ANSWER_BYTES within `timeout` seconds in all: the socket's
    timeout bounds each read, and a server dripping a byte at a time would
    otherwise hold the worker for as long as it likes."""
    deadline = time.monotonic() + timeout
    chunks, size = [], 0
    while size < MAX_ANSWER_BYTES:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the answer took more than {timeout} s")
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
