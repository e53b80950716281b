"""Images are re-encoded by Pillow: metadata gone, size bounded, a preview
made; what only claims to be an image is refused."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from files.models import Attachment
from rooms.models import Message

from .conftest import image_bytes, stored_files

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_image_gets_a_preview_with_its_size(upload, alice, lobby, png):
    assert upload(alice, lobby, [png("wide.png", size=(1200, 600))]).status_code == 201
    attachment = Attachment.objects.get()
    assert (attachment.width, attachment.height) == (1200, 600)
    assert (attachment.preview_width, attachment.preview_height) == (480, 240)
    with attachment.preview.open("rb") as preview:
        assert Image.open(preview).size == (480, 240)


def test_the_stored_original_is_bounded(upload, alice, lobby, png, settings):
    settings.CHAT_IMAGE_MAX_DIMENSION = 500
    upload(alice, lobby, [png("big.png", size=(2000, 1000))])
    attachment = Attachment.objects.get()
    assert (attachment.width, attachment.height) == (500, 250)
    with attachment.file.open("rb") as stored:
        assert Image.open(stored).size == (500, 250)


def test_metadata_is_stripped(upload, alice, lobby):
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    exif[0x8825] = {1: "N"}  # GPS
    photo = image_bytes((40, 30), "JPEG", exif=exif.tobytes())
    assert b"secret description" in photo
    upload(alice, lobby, [SimpleUploadedFile("photo.jpg", photo + b"<script>payload</script>", "image/jpeg")])
    attachment = Attachment.objects.get()
    with attachment.file.open("rb") as stored:
        data = stored.read()
    assert b"secret description" not in data and b"payload" not in data
    assert not Image.open(io.BytesIO(data)).getexif()
    assert attachment.content_type == "image/jpeg"


def test_a_non_image_named_png_is_refused(upload, alice, lobby, media_root):
    fake = SimpleUploadedFile("cat.png", b"<html><script>alert(1)</script></html>", content_type="image/png")
    response = upload(alice, lobby, [fake], caption="look")
    assert response.status_code == 400
    assert response.content.decode() == "cat.png is not a valid image."
    assert not Message.objects.exists() and stored_files(media_root) == []


def test_an_image_content_type_must_be_an_image_whatever_the_name(upload, alice, lobby):
    fake = SimpleUploadedFile("noextension", b"not pixels", content_type="image/jpeg")
    assert upload(alice, lobby, [fake]).content.decode() == "noextension is not a valid image."


def _bomb_png(width, height):
    """A tiny PNG announcing a huge canvas: Pillow reads the size from the header."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(10_000, 10_000), (100_000, 100_000)])
def test_decompression_bombs_are_refused_before_decoding(upload, alice, lobby, media_root, size):
    bomb = SimpleUploadedFile("bomb.png", _bomb_png(*size), content_type="image/png")
    response = upload(alice, lobby, [bomb])
    assert response.status_code == 400
    assert response.content.decode() == "bomb.png is too large an image: at most 40 megapixels."
    assert not Message.objects.exists() and stored_files(media_root) == []


def test_images_browsers_do_not_all_show_are_files(upload, alice, lobby):
    scan = SimpleUploadedFile("scan.tiff", image_bytes((30, 20), "TIFF"), content_type="image/tiff")
    assert upload(alice, lobby, [scan]).status_code == 201
    assert not Attachment.objects.get().is_image


def test_svg_is_a_file_not_an_image(upload, alice, lobby):
    svg = SimpleUploadedFile(
        "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>', content_type="image/svg+xml"
    )
    assert upload(alice, lobby, [svg]).status_code == 201
    attachment = Attachment.objects.get()
    assert not attachment.is_image and attachment.width is None


def test_transparency_survives(upload, alice, lobby):
    buffer = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(buffer, "PNG")
    upload(alice, lobby, [SimpleUploadedFile("clear.png", buffer.getvalue(), "image/png")])
    with Attachment.objects.get().file.open("rb") as stored:
        assert Image.open(stored).getpixel((0, 0))[3] == 0


def test_an_image_that_needs_more_memory_than_allowed_is_refused_and_the_server_goes_on(
    upload, alice, lobby, png, media_root, monkeypatch
):
    # Pillow decodes in a child process whose address space is capped; here
    # the cap leaves room for the interpreter but not for 36 megapixels.
    monkeypatch.setattr("core.images.BASE_MEMORY", 160 * 2**20)
    monkeypatch.setattr("core.images.MEMORY_PER_PIXEL", 0)
    response = upload(alice, lobby, [png("huge.png", size=(6000, 6000))], caption="the whole wall")
    assert response.status_code == 400
    assert response.content.decode() == (
        "huge.png could not be processed as an image; try again, or send it in another format."
    )
    assert not Message.objects.exists() and stored_files(media_root) == []
    assert upload(alice, lobby, [png("small.png")], caption="a smaller one").status_code == 201


def test_images_are_re_encoded_at_a_lower_priority_than_the_server():
    # The child confines itself first thing (core/reencoder.py's main):
    # niced behind the server, with its memory and CPU time capped.
    import os
    import subprocess
    import sys

    from core import reencoder

    program = (
        f"import os, resource, sys; sys.path.insert(0, {os.path.dirname(reencoder.__file__)!r}); "
        "import reencoder; reencoder._confine(2**30, 30); "
        "print(os.nice(0), resource.getrlimit(resource.RLIMIT_AS)[0], resource.getrlimit(resource.RLIMIT_CPU)[0])"
    )
    done = subprocess.run([sys.executable, "-I", "-c", program], capture_output=True, text=True, check=True)
    niceness, memory, cpu = map(int, done.stdout.split())
    assert niceness == os.nice(0) + reencoder.NICENESS
    assert (memory, cpu) == (2**30, 30)
