# Indexes that keep the room list, the unread counts and the admin's search
# as cheap at ten million messages as at ten thousand (docs/performance.md,
# measured by bench/datascale).

from django.conf import settings
from django.db import migrations, models

# The auto-created table behind Message.mentions gets no index from a model's
# Meta: the room list finds a user's newest mentions through this one.
MENTIONS_INDEX = (
    "CREATE INDEX rooms_message_mentions_user_message ON rooms_message_mentions (user_id, message_id)",
    "DROP INDEX rooms_message_mentions_user_message",
)

# The admin searches messages with icontains, which PostgreSQL runs as
# UPPER(text::text) LIKE UPPER('%word%'): a trigram index on that expression
# serves it. pg_trgm is a trusted extension (the database's owner may create
# it); where it cannot be created the search still works, unindexed.
TRIGRAM_INDEX = (
    'CREATE INDEX rooms_message_text_trigram ON rooms_message USING gin ((UPPER("text"::text)) gin_trgm_ops)'
)


def add_trigram_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from django.db import transaction

    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - no privilege: searching stays a sequential scan
        return
    schema_editor.execute(TRIGRAM_INDEX)


def remove_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS rooms_message_text_trigram")


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0007_message_author_kept"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["room", "id", "author"], name="message_room_id_author"),
        ),
        migrations.RemoveIndex(
            model_name="message",
            name="message_room_latest",
        ),
        migrations.RunSQL(*MENTIONS_INDEX),
        migrations.RunPython(add_trigram_index, remove_trigram_index),
    ]
