"""ASGI entry point: HTTP goes to Django, WebSockets to the rooms' consumer."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
# Set up Django before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from core.origin import SameOriginValidator  # noqa: E402
from core.request_bodies import install_request_handling  # noqa: E402
from rooms.routing import websocket_urlpatterns  # noqa: E402

# Request bodies bounded while they arrive, and uploads that do not hold the
# event loop (core/request_bodies.py).
install_request_handling()

if settings.CHAT_TASKS_IN_SERVER:
    # A trial without Redis: the worker runs here (core/worker_in_server.py).
    from core.worker_in_server import start as start_tasks_in_server

    start_tasks_in_server()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Only the site's own pages may open a socket with the user's
        # cookies (core/origin.py).
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# Everything imported so far (Django, the apps, their modules: about 150,000
# objects) lives as long as the process. Frozen, the cyclic garbage
# collector stops walking it on every full collection: with 1000 open
# sockets a full collection held the event loop for 80-180 ms, about 40 ms
# of it spent on these objects, and every message in flight waited that long.
gc.freeze()
