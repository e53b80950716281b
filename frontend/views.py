"""The installable app: the web app manifest, the service worker and the
page it shows when the network is gone.

The service worker is served from the site's root (/service-worker.js), so
its scope is every page. Its configuration comes with it, rendered here: the
shell it caches (every file of the frontend's static folder, by the names
the static storage serves, hashed when DEBUG is off) and the offline page's
address. A deploy that changes any of them changes the worker's bytes, and
browsers install the new worker, which drops the old shell.
"""

import hashlib
import json
from pathlib import Path

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

NAME = "Chat"
# The top bar's colour (chat.css --surface) in each scheme, for the title bar
# of the installed app and the browser's own (base.html names both), and the
# page's background (--bg) for the splash screen.
THEME_LIGHT, THEME_DARK = "#ffffff", "#181c24"
BACKGROUND = "#f6f7f9"
# (file in frontend/static/frontend/, pixels, purpose): drawn by scripts/make-favicon.
ICONS = [("icon-192.png", 192, "any"), ("icon-512.png", 512, "any"), ("icon-maskable-512.png", 512, "maskable")]


@require_GET
@cache_control(max_age=3600)
def manifest(request):
    """The web app manifest: what an installed chat is called, looks like and opens."""
    return JsonResponse(
        {
            "name": NAME,
            "short_name": NAME,
            "description": "Rooms and direct messages, live.",
            "id": "/",
            "start_url": reverse("rooms:list"),
            "scope": "/",
            "display": "standalone",
            "theme_color": THEME_LIGHT,
            "background_color": BACKGROUND,
            "icons": [
                {
                    "src": static(f"frontend/{name}"),
                    "sizes": f"{pixels}x{pixels}",
                    "type": "image/png",
                    "purpose": purpose,
                }
                for name, pixels, purpose in ICONS
            ],
        },
        content_type="application/manifest+json",
    )


def shell():
    """The static files the service worker keeps: every file of the
    frontend's static folder (styles, scripts, icons, vendored htmx)."""
    folder = Path(apps.get_app_config("frontend").path) / "static"
    return sorted(static(path.relative_to(folder).as_posix()) for path in folder.rglob("*") if path.is_file())


@require_GET
@cache_control(no_cache=True)
def service_worker(request):
    config = {
        "shell": shell(),
        # Hashed names never change content: served from the cache first.
        # Plain names (DEBUG) come from the network, the cache only offline.
        "immutable": hasattr(staticfiles_storage, "manifest_name"),
        "offline": reverse("offline"),
        "icon": static("frontend/icon-192.png"),
    }
    config["version"] = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    script = render_to_string("frontend/service-worker.js", {"config": json.dumps(config, indent=2)})
    return HttpResponse(script, content_type="text/javascript; charset=utf-8")


@require_GET
def offline(request):
    """What a navigation shows while the network is gone. Rendered for nobody
    in particular (the worker keeps a copy): no name, no form, no token."""
    return render(request, "frontend/offline.html", {"user": AnonymousUser()})
