import tempfile
import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from core.progress import Progress
from operations import archive, databases, snapshot, stored


class Command(BaseCommand):
    help = (
        "Load an archive made by `manage.py backup` into an empty database and storage, after checking "
        "all of it; then rebuild the search index (docs/backup-and-restore.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive")
        parser.add_argument(
            "--force",
            action="store_true",
            help="restore over a database and storage that are not empty (their tables are dropped)",
        )

    def handle(self, *args, path, force=False, **options):
        started, path = time.monotonic(), Path(path)
        if not path.is_file():
            raise CommandError(f"There is no archive at {path}.")
        try:
            database = databases.engine()
        except databases.DumpFailed as error:
            raise CommandError(str(error)) from None
        with tempfile.TemporaryDirectory(prefix="chat-restore-") as staging:
            # Everything is checked before anything is written.
            verified, entries = self.verified_archive(path, staging, database, force)
            manifest = verified.manifest
            try:
                if force:
                    database.clear()
                database.load(verified.database, entries)
            except databases.DumpFailed as error:
                raise CommandError(f"Loading the database failed: {error}") from None
        self.check_counts(manifest["counts"])
        restored_files = manifest["storage"]["files"] - len(manifest.get("missing_files", []))
        if manifest["storage"]["kind"] == "local":
            stored.restore(archive.stored_files(path), restored_files, replace=force)
        else:
            restored_files = 0
            self.stdout.write(
                f"The files are in bucket {manifest['storage'].get('bucket')!r}, which this "
                "archive does not hold: point AWS_STORAGE_BUCKET_NAME at it (or a copy of it)."
            )
        # This version's schema (nothing to do when the archive is as new as the code), then derived data.
        call_command("migrate", interactive=False, verbosity=0)
        call_command("search_reindex", stdout=self.stdout)
        self.stdout.write(
            f"Restored {sum(manifest['counts'].values())} rows and {restored_files} files "
            f"from a backup made {manifest['created_at']} in {time.monotonic() - started:.1f} s."
        )

    def verified_archive(self, path, staging, database, force):
        """The verified archive and its dump's size, or CommandError saying why not."""
        members = {databases.PostgreSQL.member, databases.SQLite.member}
        try:
            with Progress("Checking the archive", total=path.stat().st_size, unit="bytes") as progress:
                verified = archive.verify(path, staging, members, progress)
        except archive.BadArchive as error:
            raise CommandError(f"Refusing {path}: {error} Nothing was changed.") from None
        manifest = verified.manifest
        made_on = manifest["database"].get("vendor")
        if made_on != database.vendor:
            raise CommandError(
                f"Refusing {path}: it holds a {made_on} database and this install runs on "
                f"{database.vendor} (DATABASE_URL). Nothing was changed."
            )
        try:
            entries = database.check_dump(verified.database)
        except databases.DumpFailed as error:
            raise CommandError(f"Refusing {path}: {error} Nothing was changed.") from None
        known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
        unknown = [
            f"{app}.{name}"
            for app, names in manifest["migrations"].items()
            for name in names
            if (app, name) not in known
        ]
        if unknown:
            raise CommandError(
                f"Refusing {path}: it was made by a newer version of the chat (migration "
                f"{unknown[0]} is not in this code). Upgrade the code first. Nothing was changed."
            )
        if not force and not database.is_empty():
            raise CommandError(
                f"Refusing {path}: the database ({connection.settings_dict['NAME']}) already has "
                "tables. Restore into a new, empty database, or use --force to replace it."
            )
        if not force and manifest["storage"]["kind"] == "local" and not stored.is_empty():
            raise CommandError(
                f"Refusing {path}: the file storage already holds files. Restore into an empty "
                "MEDIA_ROOT, or use --force to write over it."
            )
        return verified, entries

    def check_counts(self, expected):
        tables = set(connection.introspection.table_names())
        with connection.cursor() as cursor:
            counts = snapshot.read(cursor, tables).counts
        wrong = {label: (count, counts.get(label)) for label, count in expected.items() if counts.get(label) != count}
        if wrong:
            label, (count, found) = next(iter(wrong.items()))
            raise CommandError(
                f"The restored database does not hold what the archive says: {label} has "
                f"{found} rows instead of {count}."
            )
