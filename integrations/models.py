"""Bots (real users with a token) and the webhook deliveries made for them."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from rooms.models import Message, Room

from . import tokens


class BadToken(PermissionDenied):
    """No token, a malformed one, or one no active bot has (HTTP 401)."""


class RoomNotAllowed(PermissionDenied):
    """The bot may not post to this room (HTTP 403)."""


class BotQuerySet(models.QuerySet):
    @transaction.atomic
    def create_bot(self, name, rooms=(), webhook_url="", created_by=None):
        """Make a bot and its user; returns (bot, token). The token is
        returned only here: only its hash is kept."""
        user = get_user_model().objects.create_user(name)  # no password: it cannot sign in
        bot = self.create(user=user, name=name, webhook_url=webhook_url, created_by=created_by)
        bot.rooms.set(rooms)
        bot.join_private_rooms()
        return bot, bot.issue_token()

    def authenticate(self, authorization):
        """The active bot whose token an Authorization header carries; raises BadToken."""
        token = tokens.parse_bearer(authorization)
        if token is None:
            raise BadToken("Send the bot's token as Authorization: Bearer <token>.")
        bot = self.select_related("user").filter(token_hash=tokens.hash_token(token)).first()
        if bot is None or bot.revoked_at is not None or not bot.user.is_active:
            raise BadToken("This token is not valid (wrong, or revoked).")
        return bot


class Bot(models.Model):
    """A bot posts as its own user, through the same Message.objects.post
    people's messages take (validation, flood control, broadcast)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bot", editable=False)
    name = models.CharField(max_length=150, unique=True, help_text="Also its username: people mention it as @name.")
    # Rooms only: never offered a direct conversation (limit_choices_to), and
    # refused one however it is added (check_rooms, integrations/signals.py).
    rooms = models.ManyToManyField(
        Room, blank=True, related_name="bots", limit_choices_to={"kind": Room.ROOM}, help_text="Rooms it may post to."
    )
    webhook_url = models.URLField(
        blank=True,
        help_text="Called with a signed JSON POST when the bot is mentioned or sent a direct message; "
        "its answer is posted as the bot.",
    )
    # NULL until a token is issued: unique among bots that have one.
    token_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    token_salt = models.CharField(max_length=32, blank=True, editable=False)
    token_prefix = models.CharField(
        max_length=16, blank=True, editable=False, help_text="Its first characters, to tell tokens apart."
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BotQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return self.revoked_at is None and self.token_hash is not None

    def issue_token(self):
        """A new token for this bot (any earlier one stops working); returned once, stored hashed."""
        self.token_salt = tokens.new_salt()
        token = tokens.derive(self.token_salt)
        self.token_hash = tokens.hash_token(token)
        self.token_prefix = token[: len(tokens.PREFIX) + 4]
        self.revoked_at = None
        self.save(update_fields=["token_salt", "token_hash", "token_prefix", "revoked_at"])
        return token

    def revoke(self):
        """The token stops working at once; a new one can be issued later."""
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])

    def signing_token(self):
        """The token, derived again to sign a webhook; None if SECRET_KEY changed (integrations/tokens.py)."""
        return tokens.recover(self.token_salt, self.token_hash) if self.token_hash else None

    @staticmethod
    def check_rooms(room_ids):
        """Raise ValidationError if any of `room_ids` is a direct conversation:
        a bot belongs to rooms. Given a conversation, it would join it
        (join_private_rooms) and read every later message at its webhook,
        a person staff added to people's private talk. A bot is in a
        conversation only when someone starts one with it."""
        slugs = list(Room.objects.filter(pk__in=room_ids).exclude(kind=Room.ROOM).values_list("slug", flat=True))
        if slugs:
            raise ValidationError(
                "A bot posts to rooms only; %(slugs)s is a direct conversation.",
                code="conversation",
                params={"slugs": ", ".join(sorted(slugs))},
            )

    def join_private_rooms(self):
        """A private room staff let the bot post to takes it as a member
        (its messages and mentions of it need that); taking the room off
        the bot's list leaves membership to staff."""
        for room in self.rooms.filter(is_private=True).exclude(members=self.user):
            room.members.add(self.user)

    def room_at(self, slug):
        """The room /api/v1/rooms/<slug>/ names for this bot, or None: any
        public room, and the private ones staff gave it or made it a member
        of. A private room it was not given is None, as an unknown slug is,
        so no answer tells a token holder that it exists."""
        given = self.rooms.values("pk")
        member_of = Room.members.through.objects.filter(user=self.user_id).values("room_id")
        known = Q(is_private=False) | Q(pk__in=given) | Q(pk__in=member_of)
        return Room.objects.rooms().filter(known, slug=slug).first()

    def check_can_post(self, room):
        """Raise RoomNotAllowed unless staff let this bot post to `room`;
        the room's own rules (archived, private) are Message.objects.post's.
        A direct conversation needs no leave from staff: someone started it
        with the bot, and being a participant is the room's own rule."""
        if room.is_direct:
            return
        if not self.rooms.filter(pk=room.pk).exists():
            raise RoomNotAllowed(f"This bot may not post to {room.slug}.")

    def post(self, room, text):
        """Post `text` to `room` as the bot: the room rules, then the same path as people's messages."""
        self.check_can_post(room)
        return Message.objects.post(room, self.user, text)


class Delivery(models.Model):
    """One webhook call for one message (docs/bots-api.md), with its attempts."""

    PENDING, DELIVERED, FAILED, REFUSED = "pending", "delivered", "failed", "refused"
    STATUSES = [(PENDING, "pending"), (DELIVERED, "delivered"), (FAILED, "failed"), (REFUSED, "refused")]

    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="deliveries")
    message = models.ForeignKey("rooms.Message", on_delete=models.SET_NULL, null=True, related_name="+")
    event = models.CharField(max_length=20, default="mention")
    url = models.URLField()
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    reply = models.ForeignKey("rooms.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"

    def __str__(self):
        return f"{self.event} to {self.bot} ({self.status})"
