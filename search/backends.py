"""Full-text matching and highlighting, one class per database.

PostgreSQL: rooms_message.search_vector, a tsvector column the database
generates from the text (GENERATED ALWAYS ... STORED, so an edit re-indexes
in the same statement), with a GIN index; websearch_to_tsquery and
ts_headline in CHAT_SEARCH_CONFIG. SQLite: search_message_fts, an FTS5 table
over rooms_message kept in step by triggers. Both are created by
search/migrations/0001_full_text.py; deleting a message deletes its row, so
it is gone from the index with it.

Highlights are marked with random strings made for each search (a message
cannot guess them), then the snippet is escaped and the marks become
<mark>: no HTML from a message ever reaches the page.
"""

import secrets

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, FloatField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.html import escape
from django.utils.safestring import mark_safe

FTS_TABLE = "search_message_fts"


def backend():
    return PostgresSearch() if connection.vendor == "postgresql" else SqliteSearch()


class Marks:
    def __init__(self):
        token = secrets.token_hex(8)
        self.start, self.stop = f"[{token}[", f"]{token}]"

    def html(self, text, escaped=False):
        """Escaped text (`escaped`: escaped already) with the marks as <mark> elements."""
        text = text if escaped else escape(text)
        return mark_safe(text.replace(self.start, "<mark>").replace(self.stop, "</mark>"))


# django.utils.html.escape in SQL. PostgreSQL's parser reads <...> as HTML
# tags and leaves them out of headlines: on escaped text every character
# stays, and each entity is one token a fragment never cuts.
SQL_ESCAPED_TEXT = (
    "replace(replace(replace(replace(replace(text, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), "
    """'"', '&quot;'), '''', '&#x27;')"""
)


class PostgresSearch:
    def __init__(self):
        self.config = settings.CHAT_SEARCH_CONFIG

    def _tsquery(self, query):
        return "websearch_to_tsquery(%s::regconfig, %s)", [self.config, query.websearch()]

    def matching(self, messages, query):
        return messages.filter(self.condition(query))

    def condition(self, query):
        """The text matches `query` (a condition, to combine with others)."""
        tsquery, params = self._tsquery(query)
        return RawSQL(f"rooms_message.search_vector @@ {tsquery}", params, output_field=BooleanField())

    def ranked(self, messages, query):
        tsquery, params = self._tsquery(query)
        return messages.annotate(rank=Coalesce(RawSQL(
            f"ts_rank(rooms_message.search_vector, {tsquery})::float8", params, output_field=FloatField()
        ), 0.0))

    def snippets(self, pks, query):
        """{message id: snippet HTML} for the given messages."""
        tsquery, params = self._tsquery(query)
        marks = Marks()
        # One passage around the best match (fragments would start at a word
        # and drop an entity before it).
        options = f'StartSel="{marks.start}", StopSel="{marks.stop}", MaxWords=35, MinWords=15'
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, ts_headline(%s::regconfig, {SQL_ESCAPED_TEXT}, {tsquery}, %s) "
                "FROM rooms_message WHERE id = ANY(%s)",
                [self.config, *params, options, list(pks)],
            )
            return {pk: marks.html(headline, escaped=True) for pk, headline in cursor.fetchall()}


class SqliteSearch:
    def matching(self, messages, query):
        return messages.filter(self.condition(query))

    def condition(self, query):
        return RawSQL(
            f"rooms_message.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)",
            [query.fts5()], output_field=BooleanField(),
        )

    def ranked(self, messages, query):
        # bm25 is lower for better matches: negated, higher is better on both
        # databases; 0 (below any match) for a message found otherwise.
        return messages.annotate(rank=Coalesce(RawSQL(
            f"(SELECT -bm25({FTS_TABLE}) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid = rooms_message.id)",
            [query.fts5()], output_field=FloatField(),
        ), 0.0))

    def snippets(self, pks, query):
        pks = list(pks)
        marks = Marks()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, snippet({FTS_TABLE}, 0, %s, %s, '…', 32) FROM {FTS_TABLE} "
                f"WHERE {FTS_TABLE} MATCH %s AND rowid IN ({', '.join(['%s'] * len(pks))})",
                [marks.start, marks.stop, query.fts5(), *pks],
            )
            return {pk: marks.html(snippet) for pk, snippet in cursor.fetchall()}
