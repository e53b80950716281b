from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Invitation


class Command(BaseCommand):
    help = (
        "Make an invitation and print its join link as the last line (absolute when CHAT_BASE_URL is set, "
        "else its path)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--uses",
            type=int,
            default=settings.CHAT_INVITE_USES,
            help="how many accounts the link may create (default: %(default)s)",
        )
        parser.add_argument(
            "--hours",
            type=float,
            default=settings.CHAT_INVITE_HOURS,
            help="how long the link works (default: %(default)s)",
        )

    def handle(self, *args, uses, hours, **options):
        if uses < 1:
            raise CommandError("--uses must be at least 1.")
        if hours <= 0:
            raise CommandError("--hours must be more than 0.")
        invitation = Invitation.objects.create_for(uses=uses, hours=hours)
        accounts = "one account" if uses == 1 else f"{uses} accounts"
        self.stdout.write(f"Invitation for {accounts}, valid until {invitation.expires_at:%Y-%m-%d %H:%M %Z}:")
        if settings.CHAT_SIGNUP == "closed":
            self.stderr.write("Note: CHAT_SIGNUP is closed, so the link lets nobody in until sign-up is reopened.")
        self.stdout.write(invitation.link())
