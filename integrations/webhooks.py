"""Outgoing webhooks: what a bot's URL receives, how it is signed, and the
refusal of addresses inside the server's own network (SSRF).

The address is checked when the bot is saved (a clear error for staff) and
again when sending, against the address actually connected to: a name that
resolved to a public address yesterday may resolve to 127.0.0.1 today, so
the connection is made to the checked address itself (core/outbound.py).
"""

import json
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from core import netguard, outbound

from . import tokens

USER_AGENT = "chat-webhooks/1"


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
        raise RefusedURL(
            f"{refusal}: webhooks only call public addresses (CHAT_WEBHOOK_ALLOW_PRIVATE=true allows others)."
        ) from None
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
    answer = outbound.post(
        outbound.Target(*resolve(url)),
        body,
        {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Chat-Signature": tokens.sign(body, token),
        },
        timeout,
    )
    return answer.status, answer.headers.get("Content-Type", ""), answer.body


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
