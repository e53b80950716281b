"""How far each person has read each room, and the unread counts it gives."""

from django.conf import settings
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.db.models.query import ModelIterable

from .. import broadcasts
from .direct import attach_participants
from .room import Room

# The room list shows "99+" above this many unread messages or mentions in a
# room; frontend/static/frontend/room-list.js (COUNT_LIMIT) counts on from it.
UNREAD_COUNT_LIMIT = 100


class _CountOf(Subquery):
    """(SELECT COUNT(*) FROM (<a sliced queryset>)): counts what a LIMIT let through."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = models.IntegerField()


def _count_up_to(queryset, limit=UNREAD_COUNT_LIMIT):
    return _CountOf(queryset.values("pk")[:limit])


def unread_annotations(user):
    """Annotations of a Room queryset with `user`'s read state (see
    RoomQuerySet.with_unread): last_read, and unread, a keyset range on the
    (room, id, author) index that stops after UNREAD_COUNT_LIMIT rows, so a
    room never opened does not count its whole history."""
    from .message import Message

    mark = ReadMark.objects.filter(user=user, room=OuterRef("pk")).values("last_read")[:1]
    after = Message.objects.filter(room=OuterRef("pk"), pk__gt=Coalesce(OuterRef("last_read"), 0)).exclude(author=user)
    return {"last_read": Subquery(mark), "unread": _count_up_to(after.order_by("pk"))}


class CountingMentions(ModelIterable):
    """Rooms of RoomQuerySet.with_unread, each given `mentions`: how many of
    the user's newest UNREAD_COUNT_LIMIT mentions (by others) are in it,
    after its read mark. One query for all the rooms, from the index on
    (user, message): counted per room in SQL, each room would walk the
    user's mentions again, and a list of 200 rooms would cost 200 times as
    many lookups as the user has mentions (150 ms instead of 15 at 100)."""

    def __iter__(self):
        from .message import Message

        rooms = list(super().__iter__())
        user = self.queryset._mentions_of
        if rooms and user is not None:
            recent = (
                Message.mentions.through.objects.filter(user=user)
                .exclude(message__author=user)
                .order_by("-message_id")
                .values_list("message__room_id", "message_id")[:UNREAD_COUNT_LIMIT]
            )
            by_room = {}
            for room_id, message_id in recent:
                by_room.setdefault(room_id, []).append(message_id)
            for room in rooms:
                last_read = room.last_read or 0
                room.mentions = sum(1 for pk in by_room.get(room.pk, ()) if pk > last_read)
        attach_participants(rooms)  # a conversation's entry shows who is in it
        yield from rooms


class ReadMarkQuerySet(models.QuerySet):
    def mark_read(self, user, room, message_id):
        """Move `user`'s mark in `room` forward to `message_id` (never back);
        returns True when it moved. Every page of that user then updates the
        room's unread count. Only a message of this room that exists counts,
        so a page cannot mark messages read before they are written."""
        room.check_can_read(user)
        newest = room.messages.filter(pk__lte=message_id).order_by("-pk").values_list("pk", flat=True).first()
        if newest is None:
            return False
        with transaction.atomic():
            # Every reader at the bottom of a busy room sends these: one
            # UPDATE in the common case, and the condition keeps it monotonic
            # when two tabs race.
            behind = self.filter(user=user, room=room, last_read__lt=newest)
            if not behind.update(last_read=newest):
                _, created = self.get_or_create(user=user, room=room, defaults={"last_read": newest})
                # Another tab may have created it first, further behind.
                if not created and not behind.update(last_read=newest):
                    return False
            transaction.on_commit(lambda: self._announce(user, room), robust=True)
        return True

    @staticmethod
    def _announce(user, room):
        state = Room.objects.filter(pk=room.pk).with_unread(user).first()
        if state is not None:
            broadcasts.read_moved(user.pk, state)


class ReadMark(models.Model):
    """How far a user has read a room: the newest message they have seen there.

    An id rather than a foreign key: deleting that message must not move the
    mark back (or make older messages unread again).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_marks")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="read_marks")
    last_read = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReadMarkQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "room"], name="read_mark_unique_user_room")]

    def __str__(self):
        return f"{self.user} read {self.room} up to {self.last_read}"
