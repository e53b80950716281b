"""Devices: a page POSTs its browser's PushSubscription.toJSON() to
/push/subscriptions/ (201) and DELETEs the same to end it (204); every
error is JSON saying what is wrong. The settings page lists them and
removes one (a form)."""

import binascii
import json
import re

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST
from py_vapid.utils import b64urldecode

from . import sender, vapid
from .models import AUTH_BYTES, P256DH_BYTES, PushSubscription, device_label

USAGE = (
    'Send the browser\'s PushSubscription.toJSON(): {"endpoint": "https://...", '
    '"keys": {"p256dh": "...", "auth": "..."}}.'
)


class BadSubscription(ValueError):
    pass


def refusal(reason, status=400):
    return JsonResponse({"error": reason}, status=status)


@require_http_methods(["POST", "DELETE"])
def subscriptions(request):
    if not request.user.is_authenticated:
        return refusal("Sign in first: devices belong to a person.", status=401)
    if not vapid.configured():
        return refusal(
            "Push notifications are off on this server: it has no VAPID keys (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY).",
            status=503,
        )
    try:
        data = read_json(request.body)
        endpoint = read_endpoint(data)
        if request.method == "DELETE":
            deleted, _ = PushSubscription.objects.filter(user=request.user, endpoint=endpoint).delete()
            if not deleted:
                return refusal("You have no device with that endpoint.", status=404)
            return JsonResponse({}, status=204)
        p256dh, auth = read_keys(data)
        sender.check_endpoint(endpoint)
    except (BadSubscription, sender.RefusedEndpoint) as bad:
        return refusal(str(bad))
    device = device_label(request.headers.get("User-Agent", ""))
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={
            "user": request.user,
            "p256dh": p256dh,
            "auth": auth,
            "device": device,
            "server_key": settings.VAPID_PUBLIC_KEY.rstrip("="),
        },
    )
    return JsonResponse({"id": subscription.pk, "device": subscription.device}, status=201)


def read_json(body):
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadSubscription(f"The body is not JSON. {USAGE}") from None
    if not isinstance(data, dict):
        raise BadSubscription(f"The body is not a JSON object. {USAGE}")
    return data


def read_endpoint(data):
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise BadSubscription(f"'endpoint' is missing or not text. {USAGE}")
    limit = PushSubscription._meta.get_field("endpoint").max_length
    if len(endpoint) > limit:
        raise BadSubscription(f"'endpoint' is longer than {limit} characters.")
    return endpoint


def read_keys(data):
    """(p256dh, auth) as sent, once they decode to a P-256 point and a 16-byte secret."""
    keys = data.get("keys")
    if not isinstance(keys, dict) or not all(isinstance(keys.get(name), str) for name in ("p256dh", "auth")):
        raise BadSubscription(f"'keys' must hold 'p256dh' and 'auth' as text. {USAGE}")
    p256dh, auth = decoded(keys["p256dh"], "p256dh"), decoded(keys["auth"], "auth")
    if len(p256dh) != P256DH_BYTES or len(auth) != AUTH_BYTES:
        raise BadSubscription(f"'p256dh' must be {P256DH_BYTES} bytes and 'auth' {AUTH_BYTES} (base64url).")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError:
        raise BadSubscription("'p256dh' is not a point of the P-256 curve.") from None
    return keys["p256dh"], keys["auth"]


BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def decoded(text, name):
    if not BASE64URL.fullmatch(text):
        raise BadSubscription(f"'{name}' is not base64url.")
    try:
        return b64urldecode(text.rstrip("=").encode())
    except (ValueError, binascii.Error):  # a length no encoding has
        raise BadSubscription(f"'{name}' is not base64url.") from None


@login_required
@require_POST
def remove_device(request, pk):
    """ "Remove" beside a device in the settings: it gets no more pushes."""
    subscription = get_object_or_404(PushSubscription, pk=pk, user=request.user)
    subscription.delete()
    messages.success(request, f"Removed {subscription.device}: it gets no more notifications.")
    return redirect("notifications:settings")
