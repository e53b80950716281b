"""daphne ... bench.peer.asgi:application — the tutorial consumer at /ws/peer/<room>/.

Same Django settings (so the same REDIS_URL channel layer and session
database) and the same middleware stack as project.asgi; HTTP still goes to
the chat's Django app, so /healthz answers as it does for ours.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from .consumers import ChatConsumer  # noqa: E402

websocket_urlpatterns = [
    re_path(r"ws/peer/(?P<room_name>[\w-]+)/$", ChatConsumer.as_asgi()),
]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
