"""Images: every one is decoded and re-encoded by Pillow before it is
stored, keeping nothing of the upload but its pixels and orientation (no
EXIF location, XMP, IPTC, ICC profile, comments, text chunks, nor anything
smuggled after the pixels); the stored copy is bounded in size and gets a
scaled preview. Whatever does not decode as a supported image is refused,
and so is one whose pixel count would cost more memory than we allow
(a decompression bomb announces a huge size in a tiny file).

Pillow runs in a child process (core/reencoder.py, which says why: memory
and CPU kept away from the process that holds the sockets); the upload's
thread waits for it."""

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from . import reencoder

logger = logging.getLogger(__name__)

# Names and types of the images we show: a file claiming to be one must
# decode as one. Other images (SVG, a document that can hold scripts; TIFF,
# HEIC and the like, which browsers do not all show) are files to download.
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"}
IMAGE_TYPES = {"image/png", "image/jpeg", "image/pjpeg", "image/gif", "image/webp", "image/bmp"}
PREVIEW_BOX = (480, 360)

NOT_AN_IMAGE = "%(name)s is not a valid image."
TOO_MANY_PIXELS = "%(name)s is too large an image: at most %(limit)s megapixels."
NOT_PROCESSED = "%(name)s could not be processed as an image; try again, or send it in another format."

# The child's CPU time is capped; its wall time may be longer, as it runs
# niced behind the server on a busy machine.
CPU_SECONDS = 30
WALL_SECONDS = 120
# Address space: the interpreter and Pillow, plus a few decoded copies of
# the largest image allowed (4 bytes a pixel: original, converted, scaled).
BASE_MEMORY = 512 * 2**20
MEMORY_PER_PIXEL = 24
_running = None
_slots_lock = threading.Lock()


def claims_to_be_image(name, content_type):
    extension = os.path.splitext(name)[1].lower()
    return extension in IMAGE_EXTENSIONS or content_type in IMAGE_TYPES


@dataclass
class Encoded:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


@dataclass
class ReEncodedImage:
    original: Encoded
    preview: Encoded | None  # None for a square (an avatar)


def re_encode(name, stream, square=None):
    """Decode `stream` and return the bounded copy and its preview, or raise
    ValidationError (not a valid image; too many pixels; could not be
    processed). The work is done by core/reencoder.py in a child process,
    at most CHAT_IMAGE_PROCESSES at once per server process. `square` (a
    side in pixels): the middle square of the image at most that large, and
    no preview (an avatar)."""
    limit = settings.CHAT_MAX_IMAGE_PIXELS
    limits = {
        "max_pixels": limit,
        "max_dimension": square or settings.CHAT_IMAGE_MAX_DIMENSION,
        "preview_box": None if square else PREVIEW_BOX,
        "square": bool(square),
        "memory_bytes": BASE_MEMORY + MEMORY_PER_PIXEL * limit,
        "cpu_seconds": CPU_SECONDS,
    }
    # Files in and out, not pipes: the waiting thread then sleeps in one
    # wait() instead of copying megabytes through a loop that would take
    # the interpreter back from the event loop thousands of times.
    with _slots(), _input_file(stream) as source, tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as errors:
        try:
            done = subprocess.run(
                [sys.executable, "-I", str(Path(reencoder.__file__)), json.dumps(limits)],
                stdin=source,
                stdout=out,
                stderr=errors,
                timeout=WALL_SECONDS,
            )
        except subprocess.TimeoutExpired:
            logger.warning("re-encoding %r took more than %d s", name, WALL_SECONDS)
            raise ValidationError(NOT_PROCESSED, code="image_failed", params={"name": name}) from None
        out.seek(0)
        head, body = out.readline(), out.read()
        try:
            answer = json.loads(head)
        except ValueError:
            errors.seek(0)
            logger.warning(
                "re-encoding %r ended with %s: %s",
                name,
                done.returncode,
                errors.read()[-2000:].decode(errors="replace"),
            )
            raise ValidationError(NOT_PROCESSED, code="image_failed", params={"name": name}) from None
    refused = answer.get("refused")
    if refused == "too_many_pixels":
        raise ValidationError(
            TOO_MANY_PIXELS, code="image_too_large", params={"name": name, "limit": f"{limit / 1_000_000:g}"}
        )
    if refused == "too_costly":  # more memory than the child may take
        raise ValidationError(NOT_PROCESSED, code="image_failed", params={"name": name})
    if refused:
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image", params={"name": name})
    original, preview = answer["original"], answer.get("preview")
    split = original["length"]
    return ReEncodedImage(
        _encoded(original, body[:split]), preview and _encoded(preview, body[split : split + preview["length"]])
    )


@contextlib.contextmanager
def _input_file(stream):
    """The upload as an open file the child can read from the start: the
    temporary file Django spooled a large upload to, else a copy."""
    path = getattr(stream, "temporary_file_path", None)
    if path is not None:
        with open(path(), "rb") as source:
            yield source
        return
    with tempfile.TemporaryFile() as source:
        stream.seek(0)
        shutil.copyfileobj(stream, source)
        source.seek(0)
        yield source


def _encoded(meta, data):
    return Encoded(data, meta["content_type"], meta["extension"], meta["width"], meta["height"])


def _slots():
    """A semaphore of CHAT_IMAGE_PROCESSES: how many images one server
    process re-encodes at once (each child may take BASE_MEMORY plus
    MEMORY_PER_PIXEL per allowed pixel); the next upload waits its turn."""
    global _running
    with _slots_lock:
        if _running is None or _running[0] != settings.CHAT_IMAGE_PROCESSES:
            _running = (settings.CHAT_IMAGE_PROCESSES, threading.BoundedSemaphore(settings.CHAT_IMAGE_PROCESSES))
    return _running[1]
