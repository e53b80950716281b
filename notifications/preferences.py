"""Per room, what reaches a person who is not looking: every message ("All
messages"), only those that mention them ("Mentions only"), or nothing at
all (muted). One rule for every way of reaching them: a push to their
devices (push/), the email about what they have not read, and the
notification a background tab shows (frontend notifications.js, from the
levels the page carries: notify_levels).

Without a choice, a direct conversation notifies of every message and a
room of mentions. Muting is a switch of its own on top of the level, so
unmuting brings back the level chosen before. A muted room's messages
still count as unread: muting quiets a room, it does not hide it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from core.compiled import CompiledQuery
from rooms.models import Message, Room

ALL, MENTIONS, MUTED = "all", "mentions", "muted"
LEVELS = [(ALL, "All messages"), (MENTIONS, "Mentions only")]


def default_level(room):
    return ALL if room.is_direct else MENTIONS


class RoomPreferenceQuerySet(models.QuerySet):
    def state_of(self, user, room):
        """(level, muted) of `user` in `room`: the level chosen, or the room's default."""
        chosen = self.filter(user=user, room=room).first()
        return (default_level(room), False) if chosen is None else (chosen.level, chosen.muted)

    def choose(self, user, room, level=None, muted=None):
        """Set the level (ALL or MENTIONS) and/or whether the room is muted;
        returns the preference."""
        chosen, _ = self.get_or_create(user=user, room=room, defaults={"level": default_level(room)})
        if level is not None:
            chosen.level = level
        if muted is not None:
            chosen.muted = muted
        chosen.save(update_fields=["level", "muted"])
        return chosen

    def levels_for(self, user):
        """{ALL: room ids, MENTIONS: room ids, MUTED: room ids} of the rooms
        where `user` chose something (the others keep their kind's default)."""
        levels = {ALL: [], MENTIONS: [], MUTED: []}
        for room_id, level, muted in (
            self.filter(user=user).order_by("room_id").values_list("room_id", "level", "muted")
        ):
            levels[MUTED if muted else level].append(room_id)
        return levels

    def listening_to_everything(self, room):
        """The ids of who chose "All messages" in `room` and did not mute
        it: every message there addresses them. Asked for every message
        posted, so compiled once (core/compiled.py)."""
        return {user_id for (user_id,) in LISTENING_TO_EVERYTHING.rows(room.pk)}


def effective(chosen, room):
    if chosen is None:
        return default_level(room)
    return MUTED if chosen.muted else chosen.level


class RoomPreference(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_preferences")
    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE, related_name="preferences")
    level = models.CharField(max_length=10, choices=LEVELS)
    muted = models.BooleanField(default=False)

    objects = RoomPreferenceQuerySet.as_manager()

    class Meta:
        verbose_name = "room notification preference"
        constraints = [models.UniqueConstraint(fields=["user", "room"], name="room_preference_unique_user_room")]
        # Who listens to every message of a room: asked for each message posted there.
        indexes = [models.Index(fields=["room", "level", "muted"], name="room_preference_listeners")]

    def __str__(self):
        return f"{self.user} in {self.room}: {'muted' if self.muted else self.get_level_display()}"


def notified_by(message, user_ids):
    """Those among `user_ids` whom `message` reaches by their levels in its
    room: everyone on ALL, the people it mentions on MENTIONS, nobody muted.
    Its author is never among them; who may read the room is the caller's
    question (the levels say nothing of access)."""
    user_ids = set(user_ids) - {message.author_id}
    if not user_ids:
        return set()
    chosen = {p.user_id: p for p in RoomPreference.objects.filter(room_id=message.room_id, user_id__in=user_ids)}
    mentioned = set(message.mentions.filter(pk__in=user_ids).values_list("pk", flat=True))
    reached = set()
    for user_id in user_ids:
        level = effective(chosen.get(user_id), message.room)
        if level == ALL or (level == MENTIONS and user_id in mentioned):
            reached.add(user_id)
    return reached


def reaching(user):
    """A filter of Message: the messages that reach `user` by their levels
    (the emails' rule; notified_by is the same for one message)."""
    chosen = RoomPreference.objects.filter(user=user)
    mentioned = Exists(Message.mentions.through.objects.filter(message=OuterRef("pk"), user=user))
    direct_on_all = Q(room__kind=Room.DIRECT) & ~Q(room__in=chosen.filter(level=MENTIONS).values("room"))
    everything = Q(room__in=chosen.filter(level=ALL).values("room"))
    return (mentioned | direct_on_all | everything) & ~Q(room__in=chosen.filter(muted=True).values("room"))


LISTENING_TO_EVERYTHING = CompiledQuery(
    lambda room: RoomPreference.objects.filter(room=room, level=ALL, muted=False).values_list("user_id")
)
