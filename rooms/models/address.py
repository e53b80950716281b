"""Where a room is found and whom it names: /rooms/<slug>/ for a room,
/dm/<id>/ for a direct conversation (rooms/models/direct.py), which is a
room of the "direct" kind titled by its participants."""

from django.urls import reverse


class RoomAddress:
    """Room's URLs, socket path and participants, whatever its kind."""

    @property
    def is_direct(self):
        return self.kind == self.DIRECT

    @property
    def route(self):
        """The URL keywords that name this room: /rooms/<slug>/ or /dm/<id>/."""
        return {"dm": self.pk} if self.is_direct else {"slug": self.slug}

    def url(self, name, **kwargs):
        """One of the room's URLs (rooms/urls.py): "detail", "older", "message" (pk=) ..."""
        prefix = "dm-" if self.is_direct else ""
        return reverse(f"rooms:{prefix}{name}", kwargs={**self.route, **kwargs})

    def get_absolute_url(self):
        return self.url("detail")

    @property
    def socket_path(self):
        return f"/ws/dm/{self.pk}/" if self.is_direct else f"/ws/rooms/{self.slug}/"

    @property
    def participant_names(self):
        """Who a conversation's list entry names (() for a room)."""
        return tuple(person.get_username() for person in self.participants)

    @property
    def participants(self):
        """A conversation's people, by name (attached to a list of rooms at
        once by direct.attach_participants)."""
        if not hasattr(self, "_participants"):
            people = self.members.all() if self.is_direct else []  # prefetched, or one query
            self._participants = sorted(people, key=lambda person: person.get_username())
        return self._participants
