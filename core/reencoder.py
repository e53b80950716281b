"""The program that decodes and re-encodes one image, run by images.py as a
child process of the web server (`python core/reencoder.py LIMITS`).

Why a process of its own: decoding takes memory in proportion to the
pixels (a 40-megapixel JPEG peaks about 280 MB above the interpreter) and
up to seconds of CPU. In the web process that memory would stay with the
process that holds every socket (a dyno past its memory limit is restarted,
dropping them all) and the CPU would compete with fan-out. Here it runs at
a lower priority (nice), so on a shared machine delivery comes first; its
address space and CPU time are capped, so an image that needs more kills
only this process; and whatever Pillow took is returned when it exits.

What it writes holds the upload's pixels, turned as its EXIF orientation
says and with their colours in sRGB, and nothing else: no EXIF (a
location), XMP, IPTC, ICC profile, comment, text chunk or byte after the
image survives (_pixels_only, _in_srgb).

It imports Pillow and the standard library only (no Django: it starts in
a few tens of milliseconds). Input: the limits as JSON in its one argument,
the file's bytes on stdin. Output on stdout: one JSON line, then the bytes
it names. JSON and raw bytes, not pickle: this process reads untrusted
files, and what it answers must not be able to run code in the server.
"""

import io
import json
import os
import sys
import warnings

DECODABLE = ("BMP", "GIF", "JPEG", "PNG", "WEBP")
NICENESS = 10


def re_encode(data, max_pixels, max_dimension, preview_box, square=False):
    """Return {"original": (bytes, meta), "preview": (bytes, meta)} or
    {"refused": code} for a file that is not a valid image
    ("not_an_image") or has more than `max_pixels` pixels
    ("too_many_pixels", checked from its header before any pixel is
    decoded). meta: content_type, extension, width, height. `square`: the
    middle square of the image is kept (an avatar); `preview_box` None:
    no preview."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow warns past MAX_IMAGE_PIXELS and raises past twice that;
            # our own limit below is checked before any pixel is decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=DECODABLE) as image:
                if image.width * image.height > max_pixels:
                    return {"refused": "too_many_pixels"}
                source_format = image.format
                # JPEGs decode straight to a reduced scale when that is all we keep.
                image.draft(
                    "RGB", _covering(image.size, max_dimension) if square else _bounded(image.size, max_dimension)
                )
                image.load()
                image = ImageOps.exif_transpose(image)  # the pixels as seen, before EXIF goes
                if square:
                    side = min(image.size)
                    image = ImageOps.fit(image, (side, side))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return {"refused": "too_many_pixels"}
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return {"refused": "not_an_image"}
    # Photos stay JPEG; everything else (with its transparency) becomes PNG.
    # An animated GIF keeps its first frame.
    as_jpeg = source_format == "JPEG"
    image = _in_srgb(image, "RGB" if as_jpeg or not _has_alpha(image) else "RGBA")
    original = _pixels_only(_scaled(image, (max_dimension, max_dimension)))
    if preview_box is None:
        return {"original": _encode(original, as_jpeg)}
    preview = _pixels_only(_scaled(image, preview_box))
    return {"original": _encode(original, as_jpeg), "preview": _encode(preview, as_jpeg)}


def _in_srgb(image, mode):
    """The image in `mode` (RGB or RGBA), its colours in sRGB.

    An embedded ICC profile says what the numbers of the pixels mean (a wide
    gamut camera's, Adobe RGB, a printer's CMYK); browsers read pixels with
    no profile as sRGB. Dropping the profile alone would show such a photo
    dull or with wrong colours, and keeping it would keep bytes of the
    upload that are no pixels (a profile names the device and its maker,
    and may be tens of kilobytes chosen by the sender). So the colours are
    converted to sRGB and the profile goes. One that littleCMS cannot use,
    or that does not fit the image (a grey profile on colour pixels) is
    ignored, as browsers ignore it."""
    from PIL import ImageCms

    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
        space = profile.profile.xcolor_space.strip()
        source_mode = PROFILE_MODES[space]
        if _colour_family(image.mode) != space:
            raise ValueError(f"a {space} profile on {image.mode} pixels")
        pixels = image if image.mode == source_mode else image.convert(source_mode)
        converted = ImageCms.profileToProfile(pixels, profile, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (KeyError, TypeError, ValueError, OSError, ImageCms.PyCMSError):
        return image.convert(mode)
    if mode == "RGBA":
        converted.putalpha(image.convert("RGBA").getchannel("A"))
    return converted


# The colour space an ICC profile describes -> the mode littleCMS reads it from.
PROFILE_MODES = {"RGB": "RGB", "GRAY": "L", "CMYK": "CMYK"}


def _colour_family(mode):
    if mode == "CMYK":
        return "CMYK"
    return "GRAY" if mode in {"1", "L", "LA", "La", "I", "F"} or mode.startswith("I;") else "RGB"


def _scaled(image, box):
    from PIL import Image

    scaled = image.copy()
    scaled.thumbnail(tuple(box), Image.Resampling.LANCZOS)
    return scaled


def _pixels_only(image):
    """A new image holding `image`'s pixels and nothing else. Pillow carries
    what it read from a file (image.info: EXIF, XMP, ICC profile, comments,
    text chunks) through every copy, and its encoders write some of it back
    by themselves (a JPEG's comment, a PNG's profile); a fresh image has
    nothing to pass on."""
    from PIL import Image

    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def _bounded(size, most):
    width, height = size
    scale = min(1, most / max(width, height, 1))
    return max(1, int(width * scale)), max(1, int(height * scale))


def _covering(size, least):
    """`size` scaled down so that its shorter side is still at least `least`."""
    width, height = size
    scale = min(1, least / max(min(width, height), 1))
    return max(1, int(width * scale)), max(1, int(height * scale))


def _has_alpha(image):
    # A palette's transparent entry, or a grey or colour key (PNG tRNS): made an alpha channel.
    return image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info


def _encode(image, as_jpeg):
    buffer = io.BytesIO()
    if as_jpeg:
        image.save(buffer, "JPEG", quality=85, optimize=True)
        meta = {"content_type": "image/jpeg", "extension": ".jpg"}
    else:
        image.save(buffer, "PNG", optimize=True)
        meta = {"content_type": "image/png", "extension": ".png"}
    return buffer.getvalue(), {**meta, "width": image.width, "height": image.height}


def _confine(memory_bytes, cpu_seconds):
    import resource

    os.nice(NICENESS)
    for limit, wanted in ((resource.RLIMIT_AS, memory_bytes), (resource.RLIMIT_CPU, cpu_seconds)):
        hard = resource.getrlimit(limit)[1]
        # Never above what the server itself was allowed.
        resource.setrlimit(limit, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))


def main():
    limits = json.loads(sys.argv[1])
    _confine(limits["memory_bytes"], limits["cpu_seconds"])
    data = sys.stdin.buffer.read()
    try:
        result = re_encode(
            data, limits["max_pixels"], limits["max_dimension"], limits["preview_box"], limits.get("square", False)
        )
    except MemoryError:
        result = {"refused": "too_costly"}
    out = sys.stdout.buffer
    if "refused" in result:
        out.write(json.dumps(result).encode() + b"\n")
        return
    head = {kind: {**meta, "length": len(encoded)} for kind, (encoded, meta) in result.items()}
    out.write(json.dumps(head).encode() + b"\n")
    for encoded, _ in result.values():  # original, then any preview
        out.write(encoded)


if __name__ == "__main__":
    main()
