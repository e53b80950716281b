"""The chat's domain: rooms, who may see them, and the messages posted in them."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse

from . import broadcast, flood


LOBBY_SLUG = "lobby"


class RoomQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Rooms `user` may open: every public room, and private ones they belong to."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(is_private=False) | Q(members=user)).distinct()

    def ensure_lobby(self):
        """The public room every new install starts with; returns (room, created)."""
        return self.get_or_create(
            slug=LOBBY_SLUG, defaults={"name": "Lobby", "topic": "Say hello: everyone can read this room."}
        )


class Room(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    topic = models.CharField(max_length=200, blank=True)
    is_archived = models.BooleanField(
        "archived", default=False, help_text="Archived rooms keep their history but accept no new messages."
    )
    is_private = models.BooleanField(
        "private", default=False, help_text="Private rooms are visible only to their members."
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="private_rooms")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoomQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("rooms:detail", kwargs={"slug": self.slug})

    @property
    def group_name(self):
        # From the pk, not the slug: staff may rename a slug while pages are open.
        return f"room.{self.pk}"

    def is_visible_to(self, user):
        if not user.is_authenticated:
            return False
        return not self.is_private or self.members.filter(pk=user.pk).exists()

    def latest_messages(self, limit=None):
        """The latest `limit` messages, oldest first, authors loaded."""
        limit = limit or settings.CHAT_HISTORY_LENGTH
        latest = self.messages.select_related("author").order_by("-id")[:limit]
        return list(reversed(latest))

    def post_message(self, author, text):
        return Message.objects.post(self, author, text)


class MessageQuerySet(models.QuerySet):
    def post(self, room, author, text):
        """Validate, save, then broadcast a message; returns the saved Message.

        Raises ValidationError for text that must not be saved and
        PermissionDenied when the author may not post here. The broadcast
        runs after commit, so nobody sees a message that was rolled back.
        """
        if not isinstance(text, str):
            raise ValidationError("A message must be text.", code="invalid")
        if room.is_archived:
            raise PermissionDenied("This room is archived: it is read-only.")
        if not room.is_visible_to(author):
            raise PermissionDenied("You are not a member of this room.")
        message = self.model(room=room, author=author, text=text)
        message.full_clean(exclude=["room", "author"])
        flood.check(author)
        with transaction.atomic():
            message.save()
            transaction.on_commit(lambda: broadcast.message_posted(message))
        return message


def validate_not_blank(value):
    if not value.strip():
        raise ValidationError("Type a message before sending.", code="blank")


def validate_length(value):
    limit = settings.CHAT_MAX_MESSAGE_LENGTH
    if len(value) > limit:
        raise ValidationError(
            "Messages are limited to %(limit)d characters (this one has %(length)d).",
            code="max_length",
            params={"limit": limit, "length": len(value)},
        )


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages")
    # Stored as typed; escaped whenever it is rendered.
    text = models.TextField(
        validators=[validate_not_blank, validate_length],
        error_messages={"blank": "Type a message before sending."},
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["room", "-id"], name="message_room_latest")]

    def __str__(self):
        return f"{self.author}: {self.text[:50]}"

    @property
    def dom_id(self):
        return f"message-{self.pk}"
