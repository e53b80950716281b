"""Searching the messages a user may read, a page at a time.

Who may read what is part of the query itself (the rooms visible to the
user now), so a room the reader lost access to is gone from the very next
page. Pages are keyset-paged: the cursor is the last result's (rank and) id,
and the next page starts strictly after it: no OFFSET and no count, so a
page deep in the results costs what the first one does.
"""

import math
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from core.ids import parse_id
from files.search import messages_with_files_named
from rooms.models import Message, Room

from .backends import backend
from .snippets import Marks, snippet

NEWEST, RELEVANCE = "newest", "relevance"
ORDERS = {NEWEST: "Newest first", RELEVANCE: "Best match first"}


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    pk: int
    rank: float | None = None

    def __str__(self):
        return str(self.pk) if self.rank is None else f"{self.rank!r}_{self.pk}"

    @classmethod
    def parse(cls, text, order):
        try:
            if order == RELEVANCE:
                rank, pk = text.split("_")
                cursor = cls(parse_id(pk), float(rank))
            else:
                cursor = cls(parse_id(text))
            if cursor.rank is not None and not math.isfinite(cursor.rank):
                raise ValueError
            return cursor
        except ValueError:  # BadId is one
            raise BadCursor("That link to more results is broken; search again.") from None


@dataclass(frozen=True)
class Result:
    message: Message
    snippet: str  # safe HTML: the text as read, escaped, matches in <mark> (search/snippets.py)


@dataclass(frozen=True)
class Page:
    results: list
    next_cursor: Cursor | None


def search(user, query, order=NEWEST, cursor=None, limit=None):
    """A Page of the messages `user` may read that match `query`
    (search.query.Query), after `cursor` (a Cursor from the previous page)."""
    limit = limit or settings.CHAT_SEARCH_PAGE_SIZE
    engine = backend()
    readable = Room.objects.visible_to(user).values("pk")
    messages = Message.objects.filter(room__in=readable)
    if query.room:
        messages = messages.filter(room__slug__iexact=query.room)
    if query.author:
        username = get_user_model().USERNAME_FIELD
        messages = messages.filter(**{f"author__{username}__iexact": query.author})
    if not query.is_empty:
        # Its text, or the names of its files (files/search.py).
        condition = Q(engine.condition(query))
        if named := messages_with_files_named(query):
            condition |= Q(pk__in=named)
        messages = messages.filter(condition)
    if order == RELEVANCE and not query.is_empty:
        messages = engine.ranked(messages, query).order_by("-rank", "-pk")
        if cursor is not None:
            messages = messages.filter(Q(rank__lt=cursor.rank) | Q(rank=cursor.rank, pk__lt=cursor.pk))
    else:
        order = NEWEST
        messages = messages.order_by("-pk")
        if cursor is not None:
            messages = messages.filter(pk__lt=cursor.pk)
    found = list(messages.select_related("room", "author__profile").prefetch_related("attachments")[: limit + 1])
    more, found = len(found) > limit, found[:limit]
    # Found by a filter alone, or by a file's name: the text has no match to mark.
    marks = Marks()
    highlighted = {} if query.is_empty or not found else engine.highlighted([m.pk for m in found], query, marks)
    results = [Result(m, snippet(highlighted.get(m.pk, m.text), marks)) for m in found]
    next_cursor = None
    if more:
        last = found[-1]
        next_cursor = Cursor(last.pk, last.rank if order == RELEVANCE else None)
    return Page(results, next_cursor)
