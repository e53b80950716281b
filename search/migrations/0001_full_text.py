"""The full-text index over message text, in each database's own form
(search/backends.py reads it): PostgreSQL a generated tsvector column with a
GIN index, SQLite an FTS5 table kept in step by triggers.

Frozen: the statements are this migration's own, as they ran when it was
written (search/index.py, which `manage.py search_reindex` uses, may change
later). The configuration is the one setting read: CHAT_SEARCH_CONFIG,
checked there the same way.
"""

import re

from django.conf import settings
from django.db import migrations

FTS_TABLE = "search_message_fts"
CONFIG_NAME = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")

POSTGRES_CREATE = [
    "ALTER TABLE rooms_message ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('{config}'::regconfig, translate(text, '<>', '  '))) STORED",
    "CREATE INDEX rooms_message_search ON rooms_message USING gin (search_vector)",
]
POSTGRES_DROP = ["ALTER TABLE rooms_message DROP COLUMN IF EXISTS search_vector"]

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(text, content='rooms_message', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    f"INSERT INTO {FTS_TABLE}(rowid, text) SELECT id, text FROM rooms_message",
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON rooms_message BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON rooms_message BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); END",
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF text ON rooms_message BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); "
    f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def run(schema_editor, statements):
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        config = settings.CHAT_SEARCH_CONFIG
        if not CONFIG_NAME.match(config):
            raise ValueError(f"CHAT_SEARCH_CONFIG must name a text search configuration, not {config!r}.")
        run(schema_editor, [sql.format(config=config) for sql in POSTGRES_CREATE])
    elif vendor == "sqlite":
        run(schema_editor, SQLITE_CREATE)
    else:
        raise NotImplementedError(f"Search needs PostgreSQL or SQLite, not {vendor}.")


def backwards(apps, schema_editor):
    run(schema_editor, {"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}.get(schema_editor.connection.vendor, []))


class Migration(migrations.Migration):
    dependencies = [("rooms", "0007_message_author_kept")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
