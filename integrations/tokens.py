"""Bot tokens: shown once, stored hashed, and still usable as a signing key.

A token is `chatbot_` + 43 characters. It is never stored: the database
keeps its SHA-256 (what API requests are checked against) and a random salt.
The token itself is HMAC(SECRET_KEY, salt), so the server can derive it again
when it signs a webhook (docs/bots-api.md: signed with the bot's token), while the
database alone (a leaked backup) gives neither the token nor a way to forge
signatures. Rotating SECRET_KEY: tokens derived from a key in
SECRET_KEY_FALLBACKS are still found and still sign; a bot whose token came
from a key no longer configured keeps authenticating (the hash) but its
webhooks fail until staff give it a new token.
"""

import base64
import hashlib
import hmac
import secrets

from django.conf import settings
from django.utils.encoding import force_bytes

PREFIX = "chatbot_"


def new_salt():
    return secrets.token_hex(16)


def derive(salt, key=None):
    digest = hmac.new(force_bytes(key or settings.SECRET_KEY), f"chat.bot-token:{salt}".encode(), hashlib.sha256)
    return PREFIX + base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def recover(salt, token_hash):
    """The token whose hash is `token_hash`, derived again; None when no
    configured SECRET_KEY (current or fallback) gives it."""
    for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        token = derive(salt, key)
        if hmac.compare_digest(hash_token(token), token_hash):
            return token
    return None


def sign(body, token):
    """The X-Chat-Signature header value for a raw body: sha256=<hex HMAC-SHA256 keyed with the token>."""
    return "sha256=" + hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def parse_bearer(header):
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(PREFIX) or len(token) > 200:
        return None
    return token
