import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.text import describe_size
from rooms.models import Room
from transfer.slack_export import export_rooms


class Command(BaseCommand):
    help = (
        "Write the chat's history (every room and direct conversation, or one room) as a Slack export zip "
        "that import_slack and other tools read. See docs/export.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--room", metavar="SLUG", help="only this room (its slug, as in /rooms/SLUG/)")
        parser.add_argument(
            "--output", metavar="PATH", help="the zip to write (default: chat-export-DATE.zip here); never overwritten"
        )

    def handle(self, *args, room, output, **options):
        rooms = Room.objects.all()
        if room is not None:
            rooms = Room.objects.rooms().filter(slug=room)
            if not rooms.exists():
                raise CommandError(f"No room has the slug {room!r}.")
        suffix = f"-{room}" if room else ""
        path = Path(output or f"chat-export-{timezone.localdate():%Y-%m-%d}{suffix}.zip")
        if path.exists():
            raise CommandError(f"{path} exists already: choose another --output.")
        # Written beside it, then renamed: no half-written export under its name.
        handle, partial = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".partial")
        os.close(handle)
        try:
            counts = export_rooms(partial, rooms)
            os.replace(partial, path)
        except BaseException:
            os.unlink(partial)
            raise
        self.stdout.write(
            f"Wrote {path} ({describe_size(path.stat().st_size)}): {counts['conversations']:,} rooms and "
            f"conversations, {counts['messages']:,} messages, {counts['files']:,} files."
        )
