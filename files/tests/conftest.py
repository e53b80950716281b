"""Fixtures of the files tests: a private MEDIA_ROOT per test, images made
with Pillow, and posting files to a room the way the page does."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHAT_RATE_LIMIT_MESSAGES = 0
    return settings.MEDIA_ROOT


def image_bytes(size=(64, 48), fmt="PNG", color=(200, 30, 30), **save):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


@pytest.fixture
def png():
    def make(name="photo.png", size=(64, 48), **save):
        return SimpleUploadedFile(name, image_bytes(size, "PNG", **save), content_type="image/png")
    return make


def stored_files(root):
    """Every file under `root` (the local storage), as paths relative to it."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()) if root.exists() else []


def upload_url(room):
    from files.templatetags.attachments import upload_url

    return upload_url(room)


@pytest.fixture
def upload(client):
    """POST files to a room as `user`, as the page does (multipart, with CSRF checks on)."""
    from django.test import Client

    def post(user, room, files, caption="", client_id=None):
        browser = Client(enforce_csrf_checks=False)
        browser.force_login(user)
        data = {"message": caption, "file": list(files)}
        if client_id:
            data["client_id"] = client_id
        return browser.post(upload_url(room), data)
    return post


def signed_in(user):
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def fragments(monkeypatch):
    """What the broadcasts send, in order, instead of sending it."""
    from realtime import broadcast

    sent = []

    async def send(group, event_type, html, **extra):
        sent.append(html)

    monkeypatch.setattr(broadcast, "send", send)
    return sent
