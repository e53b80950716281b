"""Messages are found by the names of their files too (search/engine.py).

File names are not in the messages' full-text index (their text column is):
a message matches when one of its files' names holds every word and phrase
of the search, in any case ("report" finds Q3-Report.pdf). Excluded words
apply to the text only.

The names are looked up first, in the files' table, and the messages they
belong to join the text match as a list of ids: a correlated EXISTS ORed
with the full-text condition kept PostgreSQL from using the text's index,
and a two-word search over a million messages took 300 ms instead of 20."""

from .models import Attachment

# The newest messages found by file name that a search considers.
NAMED_MESSAGES = 1000


def messages_with_files_named(query, limit=NAMED_MESSAGES):
    """Ids of the newest messages (up to `limit`) one of whose files is
    named by all of `query`'s words and phrases."""
    words = [*query.words, *(word for phrase in query.phrases for word in phrase)]
    if not words:
        return []
    named = Attachment.objects.all()
    for word in words:
        named = named.filter(name__icontains=word)
    return list(named.order_by("-message_id").values_list("message_id", flat=True).distinct()[:limit])
