"""Which pages may open a WebSocket with the user's cookies: the site's own.

Browsers send cookies with a WebSocket to any site and say in the Origin
header which page opened it; nothing like CORS stops another site's page.
channels' AllowedHostsOriginValidator accepts any Origin whose host is in
ALLOWED_HOSTS, whatever its scheme and port (and with a pattern like
".example.com", any subdomain). Here the Origin must be the request's own
origin (scheme from ws/wss, or X-Forwarded-Proto with TRUST_PROXY_HEADERS,
and the Host header, itself one of ALLOWED_HOSTS) or one of
CSRF_TRUSTED_ORIGINS: scheme, host and port all equal.
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from .proxy import websocket_scheme

DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url):
    """(scheme, host, port) of an origin URL, or None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in {"", "/"}:
        return None
    return parts.scheme, parts.hostname.lower(), port


def allowed(scope):
    headers = dict(scope.get("headers") or [])
    origin = _origin(headers.get(b"origin", b"").decode("latin-1"))
    if origin is None:
        return False
    host = headers.get(b"host", b"").decode("latin-1")
    domain, _ = split_domain_port(host)
    if (
        domain
        and validate_host(domain, settings.ALLOWED_HOSTS)
        and origin == _origin(f"{websocket_scheme(scope)}://{host}")
    ):
        return True
    return origin in {_origin(trusted) for trusted in settings.CSRF_TRUSTED_ORIGINS}


class SameOriginValidator:
    """ASGI middleware for WebSockets: refuses (403 before accepting) a socket
    opened from any other origin than the site's own."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
