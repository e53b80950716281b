"""Re-encoded images keep nothing of the upload but its pixels and
orientation. Each supported format is uploaded carrying every kind of
metadata it can hold (EXIF with an orientation and a GPS position, XMP,
IPTC, an ICC profile, comments, text chunks) plus bytes after the image;
the stored copy and the preview are then taken apart by their container
(JPEG segments, PNG chunks) and must hold nothing but the image: turned as
the EXIF said, its colours converted from the profile to sRGB."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, PngImagePlugin

from files.models import Attachment

pytestmark = pytest.mark.django_db

SECRET = b"SECRET"
TRAILER = b"SECRET-TRAILER: bytes after the image"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b"<rdf:Description>SECRET-XMP</rdf:Description></rdf:RDF></x:xmpmeta>"
)
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
# Stored 40x20, left half red, right half green; EXIF orientation 6 says
# "turn it a quarter clockwise", so it is seen 20x40, the red half on top.
SIZE, ROTATED_CLOCKWISE = (40, 20), 6


def swapped_profile():
    """An RGB ICC profile that says the first channel is sRGB's blue and the
    third its red (sRGB's own profile, its red and blue colorant tags
    swapped): red pixels tagged with it look blue, and must come out blue."""
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = struct.unpack(">I", profile[128:132])[0]
    entries = {bytes(profile[at : at + 4]): at for at in range(132, 132 + 12 * count, 12)}
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    profile[red + 4 : red + 12], profile[blue + 4 : blue + 12] = (
        profile[blue + 4 : blue + 12],
        profile[red + 4 : red + 12],
    )
    profile[84:100] = bytes(16)  # the profile id (an MD5 of it) no longer holds
    return bytes(profile + b"SECRET-ICC")


def exif():
    tags = Image.Exif()
    tags[0x0112] = ROTATED_CLOCKWISE  # Orientation
    tags[0x010E] = "SECRET-EXIF description"  # ImageDescription
    tags[0x8825] = {1: "N", 2: (48.0, 51.0, 30.0)}  # GPS: a place
    return tags.tobytes()


def halves(mode="RGB"):
    image = Image.new("RGB", SIZE, GREEN)
    image.paste(RED, (0, 0, SIZE[0] // 2, SIZE[1]))
    return image.convert(mode)


def jpeg_segment(marker, payload):
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def photoshop_iptc():
    """APP13: an IPTC caption inside a Photoshop image resource block."""
    iptc = b"\x1c\x02\x78" + struct.pack(">H", 17) + b"SECRET-IPTC title"
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\0\0" + struct.pack(">I", len(iptc)) + iptc + b"\0"
    return jpeg_segment(0xED, b"Photoshop 3.0\0" + resource)


def saved(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def make_jpeg():
    return (
        saved(
            halves(),
            "JPEG",
            quality=95,
            exif=exif(),
            icc_profile=swapped_profile(),
            xmp=XMP,
            comment=b"SECRET-COMMENT",
            extra=photoshop_iptc(),
        )
        + TRAILER
    )


def make_png():
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "SECRET-tEXt")
    text.add_text("Author", "SECRET-zTXt", zip=True)
    text.add_itxt("Description", "SECRET-iTXt", lang="en", tkey="Beschreibung")
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    text.add(b"tIME", struct.pack(">HBBBBB", 2024, 1, 2, 3, 4, 5))
    text.add(b"prVt", b"SECRET-private chunk")
    return saved(halves(), "PNG", pnginfo=text, exif=exif(), icc_profile=swapped_profile()) + TRAILER


def gif_extension(label, blocks):
    return bytes([0x21, label]) + b"".join(bytes([len(b)]) + b for b in blocks) + b"\0"


def make_gif():
    """A comment, then XMP and an ICC profile as application extensions
    (their registered names), placed after the global colour table."""
    data = saved(halves("P"), "GIF", comment=b"SECRET-COMMENT")
    flags = data[10]
    table = 3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0
    at = 13 + table
    profile = swapped_profile()
    extensions = gif_extension(0xFF, [b"XMP DataXMP", XMP]) + gif_extension(
        0xFF, [b"ICCRGBG1012", *(profile[i : i + 255] for i in range(0, len(profile), 255))]
    )
    return data[:at] + extensions + data[at:] + TRAILER


def make_webp():
    return saved(halves(), "WEBP", lossless=True, exif=exif(), icc_profile=swapped_profile(), xmp=XMP) + TRAILER


def make_bmp():
    """BMP has no metadata blocks Pillow reads: what rides along goes between
    the headers and the pixels (their offset moved past it) and after them."""
    data = saved(halves(), "BMP")
    gap = b"SECRET-GAP between the headers and the pixels"
    size, offset = struct.unpack("<I4xI", data[2:14])
    head = data[:2] + struct.pack("<I4xI", size + len(gap), offset + len(gap)) + data[14:offset]
    return head + gap + data[offset:] + TRAILER


UPLOADS = {
    "jpeg": ("photo.jpg", "image/jpeg", make_jpeg),
    "png": ("photo.png", "image/png", make_png),
    "gif": ("photo.gif", "image/gif", make_gif),
    "webp": ("photo.webp", "image/webp", make_webp),
    "bmp": ("photo.bmp", "image/bmp", make_bmp),
}
# Which inputs carry an orientation and a profile Pillow reads (GIF and BMP carry neither).
TURNED = {"jpeg", "png", "webp"}


# --- taking the stored files apart ------------------------------------------------------


def jpeg_segments(data):
    """[(marker, payload)] of a JPEG, SOI to EOI; raises if anything follows EOI."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    segments, at = [(0xD8, b"")], 2
    while True:
        assert data[at] == 0xFF, f"no marker at {at}"
        marker = data[at + 1]
        if marker == 0xD9:
            segments.append((marker, b""))
            assert at + 2 == len(data), f"{len(data) - at - 2} bytes after the end of the image"
            return segments
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        segments.append((marker, data[at + 4 : at + 2 + length]))
        at += 2 + length
        if marker == 0xDA:  # entropy-coded data: up to the next marker that is not a stuffed byte or a restart
            while not (data[at] == 0xFF and data[at + 1] not in (0x00, *range(0xD0, 0xD8))):
                at += 1


def png_chunks(data):
    """[(type, data)] of a PNG, its CRCs checked; raises if anything follows IEND."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks, at = [], 8
    while True:
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        body = data[at + 8 : at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length : at + 12 + length])[0] == zlib.crc32(kind + body)
        chunks.append((kind, body))
        at += 12 + length
        if kind == b"IEND":
            assert at == len(data), f"{len(data) - at} bytes after IEND"
            return chunks


# Frames and tables, the JFIF header Pillow writes: no application segment
# (APP1 EXIF/XMP, APP2 ICC, APP13 IPTC, APP14 Adobe) and no comment (COM).
JPEG_IMAGE_MARKERS = {0xD8, 0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD, 0xDA, 0xD9}
PNG_IMAGE_CHUNKS = {b"IHDR", b"IDAT", b"IEND"}


def assert_only_pixels(data):
    """The stored bytes hold an image and nothing else."""
    if data[:2] == b"\xff\xd8":
        segments = jpeg_segments(data)
        assert {marker for marker, _ in segments} <= JPEG_IMAGE_MARKERS, [hex(m) for m, _ in segments]
        assert [payload[:5] for marker, payload in segments if marker == 0xE0] == [b"JFIF\0"]
    else:
        chunks = png_chunks(data)
        assert {kind for kind, _ in chunks} <= PNG_IMAGE_CHUNKS, [kind for kind, _ in chunks]
    assert SECRET not in data
    image = Image.open(io.BytesIO(data))
    assert not image.getexif() and "icc_profile" not in image.info and "comment" not in image.info
    return image


def stored(attachment):
    with attachment.file.open("rb") as original, attachment.preview.open("rb") as preview:
        return original.read(), preview.read()


def near(pixel, colour, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


# --- the tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", UPLOADS)
def test_a_re_encoded_image_keeps_nothing_but_its_pixels(upload, alice, lobby, kind):
    name, content_type, make = UPLOADS[kind]
    data = make()
    assert data.count(SECRET) >= 2  # what must not survive was there
    assert upload(alice, lobby, [SimpleUploadedFile(name, data, content_type)]).status_code == 201
    attachment = Attachment.objects.get()
    original, preview = stored(attachment)
    for data in (original, preview):
        image = assert_only_pixels(data)
        width, height = image.size
        pixels = image.convert("RGB")
        top, bottom = pixels.getpixel((width // 2, height // 4)), pixels.getpixel((width // 2, height * 3 // 4))
        if kind in TURNED:
            # Turned as the EXIF said, then its colours read through the profile: red was blue.
            assert height > width and near(top, BLUE) and near(bottom, GREEN), (image.size, top, bottom)
        else:
            assert width > height
    assert (attachment.width, attachment.height) == ((20, 40) if kind in TURNED else (40, 20))


def test_a_photo_without_a_profile_keeps_its_colours(upload, alice, lobby):
    photo = saved(halves(), "JPEG", quality=95)
    upload(alice, lobby, [SimpleUploadedFile("plain.jpg", photo, "image/jpeg")])
    original, _ = stored(Attachment.objects.get())
    image = assert_only_pixels(original)
    assert near(image.getpixel((5, 10)), RED) and near(image.getpixel((35, 10)), GREEN)


def test_a_profile_that_does_not_fit_the_pixels_is_dropped_and_the_pixels_kept(upload, alice, lobby):
    """A CMYK JPEG tagged with an RGB profile: as browsers do, the pixels
    are read as they are (CMYK), and the profile goes."""
    photo = saved(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", icc_profile=swapped_profile())
    assert upload(alice, lobby, [SimpleUploadedFile("print.jpg", photo, "image/jpeg")]).status_code == 201
    original, _ = stored(Attachment.objects.get())
    assert near(assert_only_pixels(original).getpixel((8, 8)), RED)


def test_transparency_survives_as_an_alpha_channel(upload, alice, lobby):
    """A palette's transparent entry and a colour key (PNG tRNS) become an
    alpha channel: the transparent parts stay transparent."""
    keyed = halves()
    data = saved(keyed, "PNG", transparency=GREEN, icc_profile=swapped_profile())
    upload(alice, lobby, [SimpleUploadedFile("keyed.png", data, "image/png")])
    original, _ = stored(Attachment.objects.get())
    image = assert_only_pixels(original)
    assert image.mode == "RGBA"
    assert (
        image.getpixel((35, 10))[3] == 0 and near(image.getpixel((5, 10)), BLUE) and image.getpixel((5, 10))[3] == 255
    )
