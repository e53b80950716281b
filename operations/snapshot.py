"""What a database snapshot holds, read through a plain DB-API cursor on the
snapshot itself (the exported PostgreSQL snapshot pg_dump reads, or the
SQLite copy the backup API made): the migrations applied, the rows of each
model, and the stored files its rows name. Reading them there, and not from
the live database, is what makes the archive consistent: a file is in it
exactly when the row that names it is in the dump, whatever is posted or
deleted while the backup runs.
"""

from dataclasses import dataclass

from django.apps import apps
from django.db import connection, models


@dataclass
class Contents:
    migrations: dict  # app label -> names of the migrations applied, sorted
    counts: dict  # model label ("rooms.message") -> rows
    files: list  # the stored file names rows refer to, sorted


def counted_models():
    """Every model that owns a table: proxies share their model's, and
    unmanaged ones are not the chat's (many-to-many tables are counted)."""
    return [
        model for model in apps.get_models(include_auto_created=True) if model._meta.managed and not model._meta.proxy
    ]


def file_columns():
    """(table, column) of every FileField (attachments, their previews, and
    any a later app adds)."""
    return [
        (model._meta.db_table, field.column)
        for model in counted_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.FileField)
    ]


def read(cursor, tables):
    """The snapshot's Contents; `tables`: the tables it has (a model whose
    migration was not applied yet has none, and counts nothing)."""
    quote = connection.ops.quote_name
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations = {}
    for app, name in cursor.fetchall():
        migrations.setdefault(app, []).append(name)
    counts = {}
    for model in counted_models():
        if model._meta.db_table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(model._meta.db_table)}")
            counts[model._meta.label_lower] = cursor.fetchone()[0]
    files = set()
    for table, column in file_columns():
        if table in tables:
            cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(column)} <> ''")
            files.update(name for (name,) in cursor.fetchall())
    return Contents(migrations, counts, sorted(files))
