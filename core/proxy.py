"""Who is asking, and over which scheme, as far as the deployment lets us know.

Headers a client sends are its own claims: X-Forwarded-For and
X-Forwarded-Proto are believed only with TRUST_PROXY_HEADERS, for a
deployment whose proxy (a Heroku-style router) sets them. Such a proxy
appends the address it saw to whatever X-Forwarded-For the client sent, so
the last entry is the one it vouches for; the first is whatever the client
wrote (daphne's --proxy-headers takes the first, which is why the Procfile
does not use it).
"""

from django.conf import settings


def _last_forwarded(value):
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    return entries[-1] if entries else ""


def client_address(request):
    """The client's IP address for an HTTP request."""
    if settings.TRUST_PROXY_HEADERS:
        forwarded = _last_forwarded(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR") or "unknown"


def websocket_scheme(scope):
    """http or https: the scheme of the page that opened a WebSocket, as its
    Origin header would name it."""
    secure = scope.get("scheme") == "wss"
    if settings.TRUST_PROXY_HEADERS:
        headers = dict(scope.get("headers") or [])
        proto = _last_forwarded(headers.get(b"x-forwarded-proto", b"").decode("latin-1")).lower()
        if proto in {"http", "https"}:
            secure = proto == "https"
    return "https" if secure else "http"
