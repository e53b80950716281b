import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from transfer.archive import Archive, ArchiveRefused
from transfer.slack_import import SlackImport

# Details printed per reason of skipping (all that were kept with -v 2).
DETAILS_SHOWN = 5


class Command(BaseCommand):
    help = (
        "Import a Slack workspace export (the .zip from Slack's Export data page): people, rooms, direct "
        "conversations, messages with their replies, reactions and files. Running it again imports nothing "
        "twice. See docs/moving-from-slack.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("export", help="the export's .zip file")
        parser.add_argument(
            "--email",
            action="store_true",
            help="email each imported person their claim link (through the worker) where the "
            "export has their address, instead of printing it",
        )

    def handle(self, *args, export, email, verbosity, **options):
        if email and not settings.CHAT_BASE_URL:
            raise CommandError("--email needs CHAT_BASE_URL: the links in the emails must name the chat's address.")
        try:
            with Archive(export) as archive:
                report = SlackImport(archive, email=email, progress=self.progress).run()
        except ArchiveRefused as refusal:
            raise CommandError(f"{refusal} Nothing was imported.") from None
        self.print_report(export, report, verbosity)

    def progress(self, total):
        """A progress bar over the bytes of the export's messages, on
        stderr when it is a terminal; nothing otherwise."""
        out = getattr(self.stderr, "_out", sys.stderr)
        return tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            desc="Messages",
            file=out,
            disable=not (hasattr(out, "isatty") and out.isatty()),
            leave=False,
        )

    def print_report(self, export, report, verbosity):
        write = self.stdout.write
        write(f"Imported from {export}:")
        imported = {what: count for what, count in report.imported.items() if count}
        if not imported:
            write("  nothing new")
        for what, count in [*imported.items(), *report.changed.items()]:
            write(f"  {count:,} {what}")
        if report.skipped:
            write(f"Skipped ({sum(report.skipped.values()):,}):")
            for reason, count in report.skipped.most_common():
                write(f"  {count:,} {reason}")
                details = report.details.get(reason, [])
                shown = details if verbosity > 1 else details[:DETAILS_SHOWN]
                for where in shown:
                    write(f"      {where}")
                if count > len(shown) and details:
                    write(f"      … and {count - len(shown):,} more" + ("" if verbosity > 1 else " (-v 2 lists more)"))
        if report.claims:
            write("Each imported person claims their account (chooses a password) with their own link:")
            for account, link, emailed in report.claims:
                where = f"emailed to {emailed}" if emailed else link
                write(f"  {account.get_username()}\t{account.get_full_name()}\t{where}")
