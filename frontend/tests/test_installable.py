"""The installable app: a manifest an install prompt accepts, icons that
load, a service worker at the site's root that keeps the shell, and an
offline page that is nobody's in particular."""

import json

import pytest
from django.core.management import call_command
from PIL import Image

from frontend.views import ICONS

pytestmark = pytest.mark.django_db


def static_file(url):
    """The file a static URL serves (tests do not serve /static/ themselves)."""
    from django.contrib.staticfiles import finders

    return finders.find(url.removeprefix("/static/"))


def worker_config(response):
    """The configuration written into the service worker's first lines."""
    script = response.content.decode()
    start = script.index("const CONFIG = ") + len("const CONFIG = ")
    return json.JSONDecoder().raw_decode(script[start:])[0]


def test_every_page_links_the_manifest_and_colours_the_browser_bar(client, alice, lobby):
    pages = [client.get("/accounts/login/")]
    client.force_login(alice)
    pages += [client.get(url) for url in ("/", "/rooms/lobby/", "/settings/")]
    for response in pages:
        page = response.content.decode()
        assert '<link rel="manifest" href="/manifest.webmanifest">' in page, response.request["PATH_INFO"]
        assert '<meta name="theme-color" content="#ffffff" media="(prefers-color-scheme: light)">' in page
        assert '<meta name="theme-color" content="#181c24" media="(prefers-color-scheme: dark)">' in page
        assert "frontend/service-worker-registration.js" in page


def test_the_manifest_names_the_app_and_its_icons_which_load_at_their_sizes(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == manifest["short_name"] == "Chat"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/" and manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#ffffff" and manifest["background_color"] == "#f6f7f9"
    assert [(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]] == [
        ("192x192", "any"),
        ("512x512", "any"),
        ("512x512", "maskable"),
    ]
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        image = Image.open(static_file(icon["src"]))
        assert image.format == "PNG" and f"{image.width}x{image.height}" == icon["sizes"]


def test_the_maskable_icon_fills_its_square_and_keeps_the_mark_inside_the_safe_zone():
    [(name, pixels, _)] = [icon for icon in ICONS if icon[2] == "maskable"]
    image = Image.open(static_file(f"/static/frontend/{name}")).convert("RGBA")
    corners = [image.getpixel(xy) for xy in ((0, 0), (pixels - 1, 0), (0, pixels - 1), (pixels - 1, pixels - 1))]
    assert len(set(corners)) == 1 and corners[0][3] == 255  # opaque accent to the edges
    # The white of the # lies within the circle of 80% that masks leave whole.
    white = [
        (x, y)
        for x in range(0, pixels, 4)
        for y in range(0, pixels, 4)
        if image.getpixel((x, y))[:3] == (255, 255, 255)
    ]
    centre, radius = pixels / 2, pixels * 0.4
    assert white and all((x - centre) ** 2 + (y - centre) ** 2 <= radius**2 for x, y in white)


def test_the_service_worker_is_served_at_the_root_and_keeps_the_shell_that_exists(client):
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    config = worker_config(response)
    assert config["offline"] == "/offline/"
    assert (
        "/static/frontend/chat.css" in config["shell"]
        and "/static/frontend/vendor/htmx-4.0.1.min.js" in config["shell"]
    )
    assert config["immutable"] is False  # DEBUG: plain names, the network first
    assert all(static_file(url) for url in config["shell"])
    assert "/static/frontend/service-worker-registration.js" in config["shell"]


def test_with_hashed_static_names_the_worker_keeps_those_and_serves_them_from_its_cache_first(
    client, settings, tmp_path
):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    config = worker_config(client.get("/service-worker.js"))
    assert config["immutable"] is True
    css = [url for url in config["shell"] if url.startswith("/static/frontend/chat.")]
    assert len(css) == 1 and css[0] != "/static/frontend/chat.css" and css[0].endswith(".css")
    assert all((tmp_path / url.removeprefix("/static/")).is_file() for url in config["shell"])


def test_the_worker_changes_when_the_shell_does(client, settings):
    before = worker_config(client.get("/service-worker.js"))["version"]
    settings.STATIC_URL = "/assets/"
    after = worker_config(client.get("/service-worker.js"))["version"]
    assert before != after


def test_the_offline_page_is_styled_and_holds_nobodys_name_nor_a_token(client, alice):
    client.force_login(alice)
    response = client.get("/offline/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "You are offline" in page and "/static/frontend/chat.css" in page
    assert "alice" not in page and "csrfmiddlewaretoken" not in page and "Log out" not in page
