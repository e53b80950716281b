"""Serving stored files (attachments, avatars): Django's default storage
(STORAGES), the local MEDIA_ROOT unless AWS_STORAGE_BUCKET_NAME selects
django-storages' S3 backend (project/settings.py).

MEDIA_URL is never served: every file is fetched through a view that
checks the reader first (files/views.py, accounts/views.py) and then
serve_stored() streams the file (local disk) or redirects to a signed URL
that expires shortly (S3)."""

from django.conf import settings
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpResponseRedirect
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


def serve_stored(file, download_name, content_type, inline):
    """A stored file for a reader already checked: streamed from the local
    disk, or a redirect to a short-lived signed URL (S3)."""
    url = signed_url(file.name, download_name, content_type, inline)
    if url is not None:
        # Issued now, after the check, and valid for CHAT_FILE_URL_SECONDS.
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
    else:
        try:
            stream = file.open("rb")
        except FileNotFoundError:
            raise Http404("No such file.") from None
        response = FileResponse(stream, as_attachment=not inline, filename=download_name, content_type=content_type)
        # Readers change (removed from a room): every fetch asks us again.
        response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it anyway, it runs nothing and loads nothing.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
