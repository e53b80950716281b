from django.core.management.base import BaseCommand
from django.db import connection, transaction

from search.index import create_index, drop_index


class Command(BaseCommand):
    help = "Rebuild the full-text index of messages (after changing CHAT_SEARCH_CONFIG)."

    def handle(self, *args, **options):
        with transaction.atomic():
            drop_index(connection)
            create_index(connection)
        self.stdout.write(f"Rebuilt the search index on {connection.vendor}.")
