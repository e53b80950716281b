"""The stored files (attachments and their previews) on either kind of
storage: the local MEDIA_ROOT, whose files go into the archive, or an S3
bucket, which its provider backs up (versioning, replication) and the
archive only names."""

import os

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages

from core.progress import Progress

from .archive import file_member, safe_name

BUCKET_NOTE = (
    "The stored files are in the bucket, not in this archive: the bucket is backed up by its "
    "provider (versioning or replication; docs/backup-and-restore.md)."
)


def storage():
    return storages["default"]


def is_local():
    return isinstance(storage(), FileSystemStorage)


def describe(file_count):
    if is_local():
        return {"kind": "local", "files": file_count}
    return {"kind": "bucket", "bucket": settings.AWS_STORAGE_BUCKET_NAME, "files": file_count, "note": BUCKET_NOTE}


def is_empty():
    """Whether the storage holds no file yet (empty folders do not count)."""
    if is_local():
        return not any(files for _, _, files in os.walk(storage().location))
    folders, files = storage().listdir("")
    return not folders and not files


def copy_into(writer, names):
    """Add each stored file to the archive; returns the names of those that
    were gone (deleted with their message after the snapshot was taken)."""
    missing = []
    with Progress("Copying files", total=len(names), unit="files") as progress:
        for name in names:
            progress.advance()
            if not safe_name(name):
                missing.append(name)
                continue
            try:
                stored = storage().open(name, "rb")
            except FileNotFoundError:
                missing.append(name)
                continue
            with stored:
                writer.add(file_member(name), stored, stored.size, int(os.fstat(stored.fileno()).st_mtime))
    return missing


def restore(members, count, replace):
    """Save each (name, file object, size) into the storage under its own
    name; `replace`: a file already there under that name is replaced."""
    with Progress("Restoring files", total=count, unit="files") as progress:
        for name, fileobj, size in members:
            if replace and storage().exists(name):
                storage().delete(name)
            content = File(fileobj, name=name)
            content.size = size  # not the size of the archive the member is read from
            saved = storage().save(name, content)
            if saved != name:
                raise RuntimeError(f"the storage saved {name} as {saved}")
            progress.advance()
