"""Images: every one is decoded and re-encoded by Pillow before it is
stored, which drops its metadata (EXIF location, comments) and anything
smuggled after the pixels; the stored copy is bounded in size and gets a
scaled preview. Whatever does not decode as a supported image is refused,
and so is one whose pixel count would cost more memory than we allow
(a decompression bomb announces a huge size in a tiny file)."""

import io
import os
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

# Names and types of the images we show: a file claiming to be one must
# decode as one. Other images (SVG, a document that can hold scripts; TIFF,
# HEIC and the like, which browsers do not all show) are files to download.
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"}
IMAGE_TYPES = {"image/png", "image/jpeg", "image/pjpeg", "image/gif", "image/webp", "image/bmp"}
DECODABLE = {"PNG", "JPEG", "GIF", "WEBP", "BMP"}
PREVIEW_BOX = (480, 360)

NOT_AN_IMAGE = "%(name)s is not a valid image."
TOO_MANY_PIXELS = "%(name)s is too large an image: at most %(limit)s megapixels."


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
    preview: Encoded


def re_encode(name, stream):
    """Decode `stream` and return the bounded copy and its preview, or raise
    ValidationError (not a valid image; too many pixels)."""
    limit = settings.CHAT_MAX_IMAGE_PIXELS
    params = {"name": name, "limit": f"{limit / 1_000_000:g}"}
    try:
        with warnings.catch_warnings():
            # Pillow warns past MAX_IMAGE_PIXELS and raises past twice that;
            # our own limit below is checked before any pixel is decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream, formats=sorted(DECODABLE)) as image:
                if image.width * image.height > limit:
                    raise ValidationError(TOO_MANY_PIXELS, code="image_too_large", params=params)
                source_format = image.format
                # JPEGs decode straight to a reduced scale when that is all we keep.
                image.draft("RGB", _bounded(image.size, settings.CHAT_IMAGE_MAX_DIMENSION))
                image.load()
                image = ImageOps.exif_transpose(image)  # the pixels as seen, before EXIF goes
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(TOO_MANY_PIXELS, code="image_too_large", params=params) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image", params={"name": name}) from None
    # Photos stay JPEG; everything else (with its transparency) becomes PNG.
    # An animated GIF keeps its first frame.
    as_jpeg = source_format == "JPEG"
    image = image.convert("RGB") if as_jpeg else image.convert("RGBA" if _has_alpha(image) else "RGB")
    original = image.copy()
    original.thumbnail((settings.CHAT_IMAGE_MAX_DIMENSION,) * 2, Image.Resampling.LANCZOS)
    preview = image.copy()
    preview.thumbnail(PREVIEW_BOX, Image.Resampling.LANCZOS)
    return ReEncodedImage(_encode(original, as_jpeg), _encode(preview, as_jpeg))


def _bounded(size, most):
    width, height = size
    scale = min(1, most / max(width, height, 1))
    return max(1, int(width * scale)), max(1, int(height * scale))


def _has_alpha(image):
    return image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info)


def _encode(image, as_jpeg):
    buffer = io.BytesIO()
    if as_jpeg:
        image.save(buffer, "JPEG", quality=85, optimize=True)
        return Encoded(buffer.getvalue(), "image/jpeg", ".jpg", image.width, image.height)
    image.save(buffer, "PNG", optimize=True)
    return Encoded(buffer.getvalue(), "image/png", ".png", image.width, image.height)
