from django.core.management.base import BaseCommand

from rooms.models import Room


class Command(BaseCommand):
    help = "Make sure the public 'lobby' room exists (make run calls this)."

    def handle(self, *args, **options):
        room, created = Room.objects.ensure_lobby()
        self.stdout.write(f"{'Created' if created else 'Found'} room '{room.slug}'.")
