"""The full-text index over message text, in each database's own form
(search/backends.py reads it): PostgreSQL a generated tsvector column with a
GIN index, SQLite an FTS5 table kept in step by triggers."""

from django.db import migrations

from search.index import create_index, drop_index


def forwards(apps, schema_editor):
    create_index(schema_editor.connection)


def backwards(apps, schema_editor):
    drop_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("rooms", "0007_message_author_kept")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
