"""What a reconnecting page missed: the messages after the newest it shows,
and the deletions and edits among those it shows. Each is
a bounded keyset query, whatever the history holds."""


class CatchUp:
    """Catch-up queries (a mixin of rooms.models.MessageQuerySet)."""

    def missed_since(self, room, after, limit):
        """Up to `limit` messages of `room` after id `after`, oldest first."""
        return list(self.filter(room=room, pk__gt=after).for_display().order_by("pk")[:limit])

    def missed_more_than(self, room, after, limit):
        """Whether a page showing up to `after` missed more than `limit`
        messages (one index probe, whatever the history holds)."""
        return self.filter(room=room, pk__gt=after).order_by("pk")[limit : limit + 1].exists()

    def changed_among(self, room, known, revised):
        """(gone ids, edited messages) among the messages a page shows: those
        deleted since, and those edited after the revision it shows
        (`revised`: id -> revision, for the ones above 0)."""
        still_there = set(self.filter(room=room, pk__in=known).values_list("pk", flat=True))
        gone = sorted(set(known) - still_there)
        return gone, self.revised_since(room, {pk: revised.get(pk, 0) for pk in still_there})

    def revised_since(self, room, revisions):
        """Messages of `room` among `revisions` ({id: revision a page shows})
        that were edited after that revision, oldest first."""
        candidates = self.filter(room=room, pk__in=revisions, revision__gt=0).for_display().order_by("pk")
        return [message for message in candidates if message.revision > revisions[message.pk]]
