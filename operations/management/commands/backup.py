import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.progress import human_bytes
from operations import archive, databases, stored


def app_version():
    """The commit the code was deployed from, when it is a git checkout."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


class Command(BaseCommand):
    help = (
        "Write one archive holding a consistent snapshot of the database and every stored file its rows "
        "name, while the chat keeps serving (docs/backup-and-restore.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="where to write the archive (default: chat-backup-<UTC time>.tar here)")

    def handle(self, *args, output=None, **options):
        started, now = time.monotonic(), datetime.now(UTC)
        path = Path(output or f"chat-backup-{now:%Y%m%dT%H%M%SZ}.tar")
        if path.is_dir():
            raise CommandError(f"{path} is a directory: give --output the archive's file name.")
        try:
            database = databases.engine()
            writer = archive.ArchiveWriter(path)
        except (databases.DumpFailed, OSError) as error:
            raise CommandError(f"Cannot back up: {error}") from None
        try:
            # The dump is staged beside the archive: /tmp may be too small for it.
            with tempfile.TemporaryDirectory(prefix=".chat-backup-", dir=path.parent) as staging:
                dumped = Path(staging) / database.member
                contents = database.dump(dumped)
                writer.add_path(database.member, dumped)
            missing = stored.copy_into(writer, contents.files) if stored.is_local() else []
            writer.finish(
                {
                    "format": archive.FORMAT,
                    "format_version": archive.FORMAT_VERSION,
                    "created_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                    "app": {"commit": app_version(), "django": django.get_version()},
                    "database": database.describe(),
                    "migrations": contents.migrations,
                    "counts": contents.counts,
                    "storage": stored.describe(len(contents.files)),
                    # Rows whose file was deleted (with its message) after the snapshot.
                    "missing_files": missing,
                }
            )
        except databases.DumpFailed as error:
            writer.abandon()
            raise CommandError(f"The backup failed: {error}") from None
        except BaseException:
            writer.abandon()
            raise
        if missing:
            self.stderr.write(f"{len(missing)} file(s) were deleted while the backup ran; the manifest lists them.")
        if not stored.is_local():
            self.stdout.write(stored.BUCKET_NOTE)
        rows = sum(contents.counts.values())
        files = len(contents.files) - len(missing) if stored.is_local() else 0
        self.stdout.write(
            f"Backed up {rows} rows and {files} files in {time.monotonic() - started:.1f} s "
            f"({human_bytes(path.stat().st_size)}) to:"
        )
        self.stdout.write(str(path))
