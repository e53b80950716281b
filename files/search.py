"""Messages are found by the names of their files too (search/engine.py).

File names are not in the messages' full-text index (their text column is):
a message matches when one of its files' names holds every word and phrase
of the search, in any case ("report" finds Q3-Report.pdf). Excluded words
apply to the text only."""

from django.db.models import Exists, OuterRef

from .models import Attachment


def attachment_named(query):
    """A condition on messages: one of their files is named by all of `query`'s words and phrases."""
    named = Attachment.objects.filter(message=OuterRef("pk"))
    for word in query.words:
        named = named.filter(name__icontains=word)
    for phrase in query.phrases:
        for word in phrase:
            named = named.filter(name__icontains=word)
    return Exists(named)
