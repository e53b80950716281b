"""From the files of a POST to stored attachments of one message.

Each file is checked (size, and for anything that claims to be an image,
that it is one: images.py re-encodes it) and written to storage BEFORE the
message's transaction, so no database transaction waits on a slow disk or
S3; the rows are then saved with the message in one transaction
(Message.objects.post). Whatever is refused or rolled back has its stored
files deleted again: nothing is kept that no message holds.

Also the limits of an upload as a request: how large its body may be (the
server refuses a larger one while it arrives: core/request_bodies.py),
and how many refused uploads a person may make before further ones are
refused unread."""

import mimetypes
import os
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.text import get_valid_filename

from core import images
from core.limits import FloodError, allow, exhausted
from core.request_bodies import MULTIPART_OVERHEAD
from core.text import describe_size

TOO_LARGE = "%(name)s is too large: files are limited to %(limit)s each."
TOO_MANY = "At most %(limit)d files can go in one message."
NO_NAME = "A file without a name cannot be attached."
REFUSED_TOO_OFTEN = (
    "Too many of your uploads were refused: at most %(limit)d every %(window)d seconds. "
    "Wait a while before trying again."
)


@dataclass
class StoredUpload:
    """One file written to storage, waiting for its message's transaction."""

    name: str
    path: str
    size: int
    content_type: str
    width: int | None = None
    height: int | None = None
    preview_path: str = ""
    preview_width: int | None = None
    preview_height: int | None = None

    def fields(self):
        """The Attachment's fields for this file (files/models.py saves it with its message)."""
        return {
            "name": self.name,
            "file": self.path,
            "size": self.size,
            "content_type": self.content_type,
            "width": self.width,
            "height": self.height,
            "preview": self.preview_path,
            "preview_width": self.preview_width,
            "preview_height": self.preview_height,
        }

    def discard(self):
        for path in (self.path, self.preview_path):
            if path:
                default_storage.delete(path)


def body_ceiling():
    """The largest upload body: every file at its limit, and what surrounds them."""
    return settings.CHAT_MAX_UPLOAD_BYTES * settings.CHAT_MAX_FILES_PER_MESSAGE + MULTIPART_OVERHEAD


def body_too_large():
    return f"These files are too large: files are limited to {describe_size(settings.CHAT_MAX_UPLOAD_BYTES)} each."


def check_body_size(size):
    """Refuse a body (by its declared size) that cannot hold files within the limits, before reading it."""
    if size > body_ceiling():
        raise ValidationError(body_too_large(), code="too_large")


def check_refusals(user):
    """Raise FloodError once `user` has had CHAT_UPLOAD_ATTEMPTS uploads
    refused within CHAT_UPLOAD_WINDOW_SECONDS (across processes, in the
    shared cache): each refusal cost a body received and perhaps parsed,
    and must not be repeatable at will. Counts nothing."""
    limit, window = settings.CHAT_UPLOAD_ATTEMPTS, settings.CHAT_UPLOAD_WINDOW_SECONDS
    if exhausted(f"upload-refusals:{user.pk}", limit, window):
        raise FloodError(REFUSED_TOO_OFTEN, code="upload_refusals", params={"limit": limit, "window": window})


def count_refusal(user):
    allow(f"upload-refusals:{user.pk}", settings.CHAT_UPLOAD_ATTEMPTS, settings.CHAT_UPLOAD_WINDOW_SECONDS)


def check(uploads):
    """Refuse the whole message when one of its files is refused (before
    anything is read or stored)."""
    if len(uploads) > settings.CHAT_MAX_FILES_PER_MESSAGE:
        raise ValidationError(TOO_MANY, code="too_many_files", params={"limit": settings.CHAT_MAX_FILES_PER_MESSAGE})
    for upload in uploads:
        if not upload.name:
            raise ValidationError(NO_NAME, code="no_name")
        if upload.size > settings.CHAT_MAX_UPLOAD_BYTES:
            raise ValidationError(
                TOO_LARGE,
                code="too_large",
                params={"name": upload.name, "limit": describe_size(settings.CHAT_MAX_UPLOAD_BYTES)},
            )


def store(room, uploads):
    """Re-encode images and write every file to storage (after check());
    returns [StoredUpload]. On any refusal nothing stays stored."""
    stored = []
    try:
        for upload in uploads:
            stored.append(_store_one(room, upload))
    except BaseException:
        discard(stored)
        raise
    return stored


def discard(stored):
    for each in stored:
        each.discard()


def _store_one(room, upload):
    name = upload.name
    folder = f"attachments/{room.pk}/{uuid.uuid4().hex}"
    safe = get_valid_filename(name) or "file"
    content_type = (upload.content_type or "").lower()
    if not images.claims_to_be_image(name, content_type):
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        path = default_storage.save(f"{folder}/{safe}", upload)
        return StoredUpload(name=name, path=path, size=upload.size, content_type=content_type[:100])
    upload.seek(0)
    image = images.re_encode(name, upload)
    base = os.path.splitext(safe)[0] or "image"
    stored = StoredUpload(
        name=name,
        path="",
        size=len(image.original.data),
        content_type=image.original.content_type,
        width=image.original.width,
        height=image.original.height,
        preview_width=image.preview.width,
        preview_height=image.preview.height,
    )
    stored.path = default_storage.save(f"{folder}/{base}{image.original.extension}", ContentFile(image.original.data))
    try:
        stored.preview_path = default_storage.save(
            f"{folder}/preview{image.preview.extension}", ContentFile(image.preview.data)
        )
    except BaseException:
        stored.discard()
        raise
    return stored
