"""A room's history as pages show it: the latest messages, pages before and
after a message, and the window around one (a permalink). Every page is a
keyset range on (room, id), so it costs the same deep in ten million
messages as at the end of ten."""

from django.conf import settings


class RoomHistory:
    """Room's history pages (a mixin of rooms.models.Room)."""

    def history_page(self, before=None, limit=None):
        """(messages, has_older): up to `limit` messages before id `before` (or
        the latest), oldest first, and whether older ones exist."""
        limit = limit or settings.CHAT_HISTORY_LENGTH
        messages = self.messages.for_display().order_by("-id")
        if before is not None:
            messages = messages.filter(pk__lt=before)
        page = list(messages[: limit + 1])
        return list(reversed(page[:limit])), len(page) > limit

    def history_after(self, after, limit=None):
        """(messages, has_newer): up to `limit` messages after id `after`,
        oldest first, and whether newer ones exist."""
        limit = limit or settings.CHAT_HISTORY_LENGTH
        page = list(self.messages.for_display().filter(pk__gt=after).order_by("id")[: limit + 1])
        return page[:limit], len(page) > limit

    def history_around(self, pk, limit=None):
        """(messages, has_older, has_newer): a page of history with message
        `pk` in the middle (it must be in this room), oldest first."""
        limit = limit or settings.CHAT_HISTORY_LENGTH
        # The window is chosen on ids alone (index-only scans); only the
        # messages shown are loaded with their authors and mentions.
        ids = self.messages.values_list("pk", flat=True)
        earlier = list(ids.filter(pk__lte=pk).order_by("-id")[: limit + 1])  # newest first, the message first
        later = list(ids.filter(pk__gt=pk).order_by("id")[: limit + 1])
        if not earlier:
            return [], False, False
        has_older, has_newer = len(earlier) > limit, len(later) > limit
        earlier, later = earlier[:limit], later[:limit]
        # Half before and half after; near either end, more of the other side.
        keep_later = min(len(later), max(limit - len(earlier), limit - (limit // 2 + 1)))
        keep_earlier = min(len(earlier), limit - keep_later)
        has_older = has_older or keep_earlier < len(earlier)
        has_newer = has_newer or keep_later < len(later)
        last = later[keep_later - 1] if keep_later else pk
        window = self.messages.for_display().filter(pk__gte=earlier[keep_earlier - 1], pk__lte=last).order_by("id")
        return list(window), has_older, has_newer

    def latest_message_id(self):
        return self.messages.order_by("-id").values_list("id", flat=True).first() or 0
