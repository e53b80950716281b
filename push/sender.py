"""One push to one device: what it says, encrypted for that browser
(aes128gcm, RFC 8291, by pywebpush), signed with our VAPID key (RFC 8292),
POSTed to its push service.

A push endpoint is a URL a browser chose, so it gets what a bot's webhook
gets (core/outbound.py, core/netguard.py): https on a public address,
checked when it is saved and again when sending, the connection made to
the address checked. CHAT_PUSH_ALLOW_PRIVATE=true allows http and private
addresses (a test's push service on 127.0.0.1).
"""

import json
from urllib.parse import urlsplit

from django.conf import settings
from pywebpush import WebPusher

from core import netguard, outbound
from core.text import one_line
from rooms.models import title_for

from . import vapid

# Seconds the whole exchange with a push service may take.
TIMEOUT_SECONDS = 10
# How long a push service keeps a push for a device that is offline.
TTL_SECONDS = 24 * 60 * 60
# Characters of the message's text a push shows (what a background tab shows too).
EXCERPT = 140


class RefusedEndpoint(ValueError):
    """The endpoint may not be called; the message says why."""


class UnresolvableEndpoint(RefusedEndpoint):
    """Its host does not resolve now: perhaps later."""


def check_endpoint(endpoint):
    """Where a push to `endpoint` goes now (core.outbound.Target); raises RefusedEndpoint."""
    allow_private = settings.CHAT_PUSH_ALLOW_PRIVATE
    parts = urlsplit(endpoint)
    if parts.scheme not in ({"https", "http"} if allow_private else {"https"}) or not parts.hostname:
        raise RefusedEndpoint("A push endpoint must be an https:// URL with a host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RefusedEndpoint("The push endpoint's port is not a port number.") from None
    try:
        addresses = netguard.public_addresses(parts.hostname, port, allow_internal=allow_private)
    except netguard.NotPublic as refusal:
        raise RefusedEndpoint(f"{refusal}: push endpoints must be on public addresses.") from None
    except netguard.Unresolvable as refusal:
        raise UnresolvableEndpoint(str(refusal)) from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return outbound.Target(parts.scheme, parts.hostname, port, path, addresses[0])


def payload(message, reader, mentioned):
    """What the service worker shows (frontend service-worker.js): who wrote,
    where (as `reader` sees the room named), whether it mentions them, the
    start of the text unless CHAT_PUSH_PREVIEW is off, and its link."""
    room = message.room
    return {
        "author": one_line(message.author_name, 80),
        "room": one_line(title_for(room, reader), 120),
        "direct": room.is_direct,
        "mention": mentioned,
        "text": one_line(message.text, EXCERPT) if settings.CHAT_PUSH_PREVIEW else "",
        "url": message.get_absolute_url(),
        # A background tab's notification of the message has this tag too:
        # the browser shows one of the two.
        "tag": f"message-{message.pk}",
    }


def encode(data):
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def send(subscription, body):
    """Encrypt `body` for the subscription's browser and POST it to its push
    service; returns the service's outbound.Answer. Raises RefusedEndpoint,
    vapid.BadKeys, TimeoutError, OSError or http.client errors."""
    target = check_endpoint(subscription.endpoint)
    encrypted = WebPusher(subscription.info()).encode(body, content_encoding="aes128gcm")["body"]
    return outbound.post(
        target,
        encrypted,
        {
            "Content-Type": "application/octet-stream",
            "Content-Encoding": "aes128gcm",
            "TTL": str(TTL_SECONDS),
            "Urgency": "high",
            "Authorization": vapid.authorization(subscription.endpoint),
        },
        TIMEOUT_SECONDS,
    )
