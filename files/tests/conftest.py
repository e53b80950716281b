"""Fixtures of the files tests: a private MEDIA_ROOT per test, images made
with Pillow, and posting files to a room the way the page does."""

import io
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

# Any 32 characters of CSRF's alphabet: the cookie and the header must agree.
CSRF_TOKEN = "uploadsuploadsuploadsuploads1234"


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


def as_the_page(user=None):
    """A browser as the room page is: CSRF checks on, the token in the
    X-CSRFToken header (attachments.js sends it), signed in as `user`."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True, headers={"X-CSRFToken": CSRF_TOKEN})
    browser.cookies["csrftoken"] = CSRF_TOKEN
    if user is not None:
        browser.force_login(user)
    return browser


@pytest.fixture
def upload():
    """POST files to a room as `user`, as the page does (multipart, the CSRF token in its header)."""

    def post(user, room, files, caption="", client_id=None):
        data = {"message": caption, "file": list(files)}
        if client_id:
            data["client_id"] = client_id
        return as_the_page(user).post(upload_url(room), data)

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


# Python's audit events, for what a test records (a hook cannot be removed:
# this one passes events on while a test listens, and does nothing otherwise).
_listeners = []


def _hear(event, args):
    for listener in _listeners:
        listener(event, args)


sys.addaudithook(_hear)


@pytest.fixture
def listen():
    added = []

    def add(listener):
        _listeners.append(listener)
        added.append(listener)

    yield add
    for listener in added:
        _listeners.remove(listener)


@pytest.fixture
def reencoder_runs(listen):
    """The image re-encoder processes started during the test (core/reencoder.py, one per image decoded)."""
    from core import reencoder

    program, runs = str(Path(reencoder.__file__)), []

    def started(event, args):
        if event == "subprocess.Popen" and program in args[1]:
            runs.append(args[1])

    listen(started)
    return runs


@pytest.fixture
def parsed_files(settings, tmp_path, listen):
    """The uploaded files Django wrote out while parsing request bodies
    during the test: here every one, however small, goes to a temporary file."""
    folder = tmp_path / "parsing"
    folder.mkdir()
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    written = []

    def made(event, args):
        if event == "tempfile.mkstemp" and str(args[0]).startswith(str(folder)):
            written.append(args[0])

    listen(made)
    return written
