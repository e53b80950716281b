from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from rooms.models import Room

from ...forms import validate_bot_name, validate_webhook_url
from ...models import Bot


class Command(BaseCommand):
    help = "Make a bot that may post to the given rooms; prints its token (shown only this once) as the last line."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the bot's name, also its @username")
        parser.add_argument(
            "--room", action="append", default=[], metavar="SLUG", help="a room it may post to (repeat)"
        )
        parser.add_argument("--webhook-url", default="", help="called when the bot is mentioned")

    def handle(self, *args, name, room, webhook_url, **options):
        rooms = list(Room.objects.filter(slug__in=room))
        unknown = sorted(set(room) - {r.slug for r in rooms})
        if unknown:
            raise CommandError(f"No such room: {', '.join(unknown)}")
        try:
            validate_bot_name(name)
            validate_webhook_url(webhook_url)
            # Refuses a direct conversation's slug (Bot.check_rooms).
            bot, token = Bot.objects.create_bot(name, rooms=rooms, webhook_url=webhook_url)
        except ValidationError as refusal:
            raise CommandError(" ".join(refusal.messages)) from None
        where = ", ".join(r.slug for r in rooms) or "no room yet"
        self.stdout.write(f"Bot {bot.name} may post to {where}. Its token (shown only this once):")
        self.stdout.write(token)
