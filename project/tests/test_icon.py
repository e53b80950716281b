"""The product's icon: in the tab of every page, at /favicon.ico for
whatever asks there (feed readers, bookmarks, older browsers), and the
installed app's (frontend/tests/test_installable.py)."""

import importlib.machinery
import importlib.util
import io
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def drawing():
    """scripts/make-favicon, the one description of the icon, as a module."""
    loader = importlib.machinery.SourceFileLoader("make_favicon", str(ROOT / "scripts" / "make-favicon"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def test_favicon_ico_is_a_real_icon_in_three_sizes(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    icon = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert icon.format == "ICO" and icon.info["sizes"] == {(16, 16), (32, 32), (48, 48)}


def test_every_page_names_the_svg_icon(client, alice, lobby):
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert '<link id="icon" rel="icon" href="/static/frontend/icon.svg" type="image/svg+xml">' in page
    assert (ROOT / "frontend/static/frontend/icon.svg").read_text().startswith("<svg ")


def test_every_file_is_what_the_script_draws(tmp_path):
    make_favicon = drawing()
    assert (ROOT / "frontend/static/frontend/icon.svg").read_text() == make_favicon.svg()
    make_favicon.ico(tmp_path / "favicon.ico")
    assert (tmp_path / "favicon.ico").read_bytes() == (ROOT / "frontend/root/favicon.ico").read_bytes()
    for name, pixels, maskable in make_favicon.APP_ICONS:
        make_favicon.png(tmp_path / name, pixels, maskable)
        assert (tmp_path / name).read_bytes() == (ROOT / "frontend/static/frontend" / name).read_bytes(), name
