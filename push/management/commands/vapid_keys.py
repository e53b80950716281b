from django.core.management.base import BaseCommand

from push import vapid


class Command(BaseCommand):
    help = (
        "Print a new VAPID key pair for Web Push, as the two lines to put in the environment "
        "(VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY). Changing the pair ends every device's subscription."
    )

    def handle(self, *args, **options):
        public, private = vapid.new_pair()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
