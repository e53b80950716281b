"""The program that decodes and re-encodes one image, run by images.py as a
child process of the web server (`python files/reencoder.py LIMITS`).

Why a process of its own: decoding takes memory in proportion to the
pixels (a 40-megapixel JPEG peaks about 280 MB above the interpreter) and
up to seconds of CPU. In the web process that memory would stay with the
process that holds every socket (a dyno past its memory limit is restarted,
dropping them all) and the CPU would compete with fan-out. Here it runs at
a lower priority (nice), so on a shared machine delivery comes first; its
address space and CPU time are capped, so an image that needs more kills
only this process; and whatever Pillow took is returned when it exits.

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


def re_encode(data, max_pixels, max_dimension, preview_box):
    """Return {"original": (bytes, meta), "preview": (bytes, meta)} or
    {"refused": code} for a file that is not a valid image
    ("not_an_image") or has more than `max_pixels` pixels
    ("too_many_pixels", checked from its header before any pixel is
    decoded). meta: content_type, extension, width, height."""
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
                image.draft("RGB", _bounded(image.size, max_dimension))
                image.load()
                image = ImageOps.exif_transpose(image)  # the pixels as seen, before EXIF goes
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return {"refused": "too_many_pixels"}
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        return {"refused": "not_an_image"}
    # Photos stay JPEG; everything else (with its transparency) becomes PNG.
    # An animated GIF keeps its first frame.
    as_jpeg = source_format == "JPEG"
    image = image.convert("RGB") if as_jpeg else image.convert("RGBA" if _has_alpha(image) else "RGB")
    original = image.copy()
    original.thumbnail((max_dimension, max_dimension), Image.Resampling.LANCZOS)
    preview = image.copy()
    preview.thumbnail(tuple(preview_box), Image.Resampling.LANCZOS)
    return {"original": _encode(original, as_jpeg), "preview": _encode(preview, as_jpeg)}


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
        result = re_encode(data, limits["max_pixels"], limits["max_dimension"], limits["preview_box"])
    except MemoryError:
        result = {"refused": "too_costly"}
    out = sys.stdout.buffer
    if "refused" in result:
        out.write(json.dumps(result).encode() + b"\n")
        return
    (original, original_meta), (preview, preview_meta) = result["original"], result["preview"]
    head = {"original": {**original_meta, "length": len(original)}, "preview": {**preview_meta, "length": len(preview)}}
    out.write(json.dumps(head).encode() + b"\n")
    out.write(original)
    out.write(preview)


if __name__ == "__main__":
    main()
