"""Throttled logins, sign-ups and password reset requests: counters on Django's cache.

After CHAT_LOGIN_ATTEMPTS counted attempts for one username or one client
address within CHAT_LOGIN_WINDOW_SECONDS of the first of them, further
attempts on that key are refused (HTTP 429, saying until when) until the
window has passed. Failed logins count per username and per address (the
correct password is refused too while locked out; a success resets nothing,
so one's own login cannot clear a counter someone else is filling). Every
sign-up attempt counts, successful or not, per address and per username, and
every password reset request per address and per email address typed. The
cache is Redis when REDIS_URL is set, so every process counts together.

The counting is core/limits.py's. A small module rather than a library:
django-axes counts authentication failures only (every sign-up attempt must
count here too) and brings an authentication backend, middleware and models
to configure around it;
django-ratelimit (last release 2023) counts in windows whose end it does not
expose, so the 429 page could not say when to come back. Both would still
leave the sign-up counter to write.
"""

import hashlib
import time
import unicodedata
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.shortcuts import render

from core import limits
from core.proxy import client_address

LOGIN = "login"
SIGNUP = "signup"
# Password reset requests: each counts, per client address and per address typed.
RESET = "reset"


def _keys(scope, request, username):
    keys = [f"throttle:{scope}:address:{client_address(request)}"]
    if username:
        name = unicodedata.normalize("NFKC", username).casefold()
        keys.append(f"throttle:{scope}:user:{hashlib.sha256(name.encode()).hexdigest()}")
    return keys


def blocked_until(scope, request, username=None):
    """When attempts on any of the request's keys are allowed again (an aware
    datetime), or None when they are allowed now."""
    until = limits.locked_until(
        _keys(scope, request, username), settings.CHAT_LOGIN_ATTEMPTS, settings.CHAT_LOGIN_WINDOW_SECONDS
    )
    return datetime.fromtimestamp(until, UTC) if until is not None else None


def record(scope, request, username=None):
    """Counts one attempt on each of the request's keys (core/limits.py)."""
    limits.record(_keys(scope, request, username), settings.CHAT_LOGIN_WINDOW_SECONDS)


def attempt(scope, request, username=None):
    """One attempt that counts whatever its outcome (a sign-up): the 429
    response when the request's keys are locked out, else None, counted."""
    until = blocked_until(scope, request, username)
    if until is not None:
        return refusal(request, until)
    record(scope, request, username)
    return None


def refusal(request, until):
    """The 429 page: too many attempts, and the time to try again."""
    response = render(request, "accounts/throttled.html", {"until": until}, status=429)
    response["Retry-After"] = str(max(1, int(until.timestamp() - time.time()) + 1))
    return response


@receiver(user_login_failed)
def count_failed_login(sender, credentials, request=None, **kwargs):
    """Every failed authenticate() with a request counts: the login page's
    and the admin's."""
    if request is not None:
        record(LOGIN, request, credentials.get("username"))
