"""Full-text matching and highlighting, one class per database.

PostgreSQL: rooms_message.search_vector, a tsvector column the database
generates from the text (GENERATED ALWAYS ... STORED, so an edit re-indexes
in the same statement), with a GIN index; websearch_to_tsquery and
ts_headline in CHAT_SEARCH_CONFIG. SQLite: search_message_fts, an FTS5 table
over rooms_message kept in step by triggers. Both are created by
search/migrations/0001_full_text.py; deleting a message deletes its row, so
it is gone from the index with it.

Each backend marks the matches in the whole text of the messages found
(search/snippets.py makes the marks, and the snippets from the marked text).
"""

import html

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, FloatField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

FTS_TABLE = "search_message_fts"


def backend():
    return PostgresSearch() if connection.vendor == "postgresql" else SqliteSearch()


# django.utils.html.escape in SQL. PostgreSQL's parser reads <...> as HTML
# tags and leaves them out of headlines: on escaped text every character
# stays (each entity one token), and the headline is unescaped again.
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
        return messages.annotate(
            rank=Coalesce(
                RawSQL(f"ts_rank(rooms_message.search_vector, {tsquery})::float8", params, output_field=FloatField()),
                0.0,
            )
        )

    def highlighted(self, pks, query, marks):
        """{message id: its text with `marks` around each match}."""
        tsquery, params = self._tsquery(query)
        options = f'StartSel="{marks.start}", StopSel="{marks.stop}", HighlightAll=true'
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, ts_headline(%s::regconfig, {SQL_ESCAPED_TEXT}, {tsquery}, %s) "
                "FROM rooms_message WHERE id = ANY(%s)",
                [self.config, *params, options, list(pks)],
            )
            return {pk: html.unescape(headline) for pk, headline in cursor.fetchall()}


class SqliteSearch:
    def matching(self, messages, query):
        return messages.filter(self.condition(query))

    def condition(self, query):
        return RawSQL(
            f"rooms_message.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)",
            [query.fts5()],
            output_field=BooleanField(),
        )

    def ranked(self, messages, query):
        # bm25 is lower for better matches: negated, higher is better on both
        # databases; 0 (below any match) for a message found otherwise.
        return messages.annotate(
            rank=Coalesce(
                RawSQL(
                    f"(SELECT -bm25({FTS_TABLE}) FROM {FTS_TABLE} "
                    f"WHERE {FTS_TABLE} MATCH %s AND rowid = rooms_message.id)",
                    [query.fts5()],
                    output_field=FloatField(),
                ),
                0.0,
            )
        )

    def highlighted(self, pks, query, marks):
        pks = list(pks)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, highlight({FTS_TABLE}, 0, %s, %s) FROM {FTS_TABLE} "
                f"WHERE {FTS_TABLE} MATCH %s AND rowid IN ({', '.join(['%s'] * len(pks))})",
                [marks.start, marks.stop, query.fts5(), *pks],
            )
            return dict(cursor.fetchall())
