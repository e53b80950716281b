"""VAPID (RFC 8292): the key pair that names this server to browsers' push
services. A browser subscribes with the public key (its
applicationServerKey); each push carries a JWT signed with the private key
(ES256), for the push service's origin, which checks it against that
public key. Keys come from VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY (`manage.py
vapid_keys` prints a new pair); without both, push is off.
"""

import time
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from py_vapid import Vapid02
from py_vapid.utils import b64urldecode, b64urlencode

# How long a push's signature is valid: push services refuse more than 24 hours.
JWT_SECONDS = 12 * 60 * 60


class BadKeys(ValueError):
    """The keys in the settings are not a P-256 pair; the message says what is wrong."""


def new_pair():
    """(public, private), base64url without padding: the uncompressed P-256
    point (65 bytes, what applicationServerKey takes) and the raw 32-byte key."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return public_of(key), b64urlencode(private)


def public_of(key):
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(point)


def configured():
    return bool(settings.VAPID_PUBLIC_KEY and settings.VAPID_PRIVATE_KEY)


def signer():
    """The private key of the settings, checked against the public key; raises BadKeys."""
    try:
        raw = b64urldecode(settings.VAPID_PRIVATE_KEY.encode())
    except ValueError:
        raise BadKeys("VAPID_PRIVATE_KEY is not base64url.") from None
    if len(raw) != 32:
        raise BadKeys(f"VAPID_PRIVATE_KEY holds {len(raw)} bytes, not the 32 of a P-256 key.")
    try:
        vapid = Vapid02.from_raw(settings.VAPID_PRIVATE_KEY.encode())
    except ValueError as error:
        raise BadKeys(f"VAPID_PRIVATE_KEY is no P-256 key: {error}") from None
    if public_of(vapid.private_key) != settings.VAPID_PUBLIC_KEY.rstrip("="):
        raise BadKeys(
            "VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY: set both from one `manage.py vapid_keys`."
        )
    return vapid


def contact():
    """Whom a push service may contact about our pushes (the JWT's sub): the
    chat's https address, else the address its emails come from."""
    if settings.CHAT_BASE_URL.startswith("https://"):
        return settings.CHAT_BASE_URL
    return f"mailto:{settings.DEFAULT_FROM_EMAIL}"


def authorization(endpoint, now=None):
    """The Authorization header for a push to `endpoint`: "vapid t=<JWT>, k=<public key>"."""
    parts = urlsplit(endpoint)
    claims = {"aud": f"{parts.scheme}://{parts.netloc}", "exp": int(now or time.time()) + JWT_SECONDS, "sub": contact()}
    return signer().sign(claims)["Authorization"]
