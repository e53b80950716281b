"""Where attachments are stored: Django's default storage (STORAGES), the
local MEDIA_ROOT unless AWS_STORAGE_BUCKET_NAME selects django-storages' S3
backend (project/settings.py).

MEDIA_URL is never served: every file is fetched through files/views.py,
which checks the reader first and then streams the file (local disk) or
redirects to a signed URL that expires shortly (S3)."""

from django.conf import settings
from django.core.files.storage import storages
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage


def signed_url(name, download_name, content_type, inline):
    """A short-lived URL of `name` for a reader already checked, or None
    when the storage signs no URLs (the local disk: stream the file). The
    object is served with our headers, whatever was stored with it."""
    storage = storages["default"]
    if not isinstance(storage, S3Storage):
        return None
    return storage.url(
        name,
        parameters={
            "ResponseContentType": content_type,
            "ResponseContentDisposition": content_disposition_header(not inline, download_name),
        },
        expire=settings.CHAT_FILE_URL_SECONDS,
    )
