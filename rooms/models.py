"""The chat's domain: rooms, who may see them, and the messages posted in them."""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone

from realtime import broadcast

from . import flood, formatting


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

    def sidebar_for(self, user):
        """The rooms `user` may see, in list order, with their unread counts (one query)."""
        return self.visible_to(user).with_unread(user).order_by(Lower("name"), "pk")

    def with_unread(self, user):
        """Annotate `user`'s read state: last_read (None: never opened), unread
        (messages by others after it), mentions (those that mention the user)
        and latest (the newest message id, 0 for none)."""
        mark = ReadMark.objects.filter(user=user, room=OuterRef("pk")).values("last_read")[:1]
        after = Message.objects.filter(room=OuterRef("pk"), pk__gt=Coalesce(OuterRef("last_read"), 0)).exclude(
            author=user
        )
        return self.with_latest().annotate(last_read=Subquery(mark)).annotate(
            unread=Coalesce(_count(after), 0),
            mentions=Coalesce(_count(after.filter(mentions=user)), 0),
        )

    def with_latest(self):
        """Annotate latest: the id of the room's newest message (0 for none)."""
        newest = Message.objects.filter(room=OuterRef("pk")).order_by("-pk").values("pk")[:1]
        return self.annotate(latest=Coalesce(Subquery(newest), 0))


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
        return self.group_name_for(self.pk)

    @staticmethod
    def group_name_for(pk):
        # From the pk, not the slug: staff may rename a slug while pages are open.
        return f"room.{pk}"

    def set_archived(self, archived):
        """Archive (read-only) or reopen the room; open pages follow live."""
        self.is_archived = archived
        self.save(update_fields=["is_archived"])
        self.archived_changed()

    def archived_changed(self):
        """Call after saving a new is_archived: open pages lose or regain the composer."""
        transaction.on_commit(lambda: broadcast.room_changed(self), robust=True)
        self.listing_changed()

    def access_changed(self):
        """Call after changing is_private or members: sockets of people who
        may no longer see the room are closed (4404)."""
        allowed = self.allowed_user_ids()
        transaction.on_commit(lambda: broadcast.access_changed(self.group_name, allowed), robust=True)
        self.listing_changed()

    def remove(self):
        """Delete the room with its history and close its open pages."""
        group, pk = self.group_name, self.pk
        with transaction.atomic():
            self.delete()
            transaction.on_commit(lambda: broadcast.room_closed(group), robust=True)
            transaction.on_commit(lambda: broadcast.room_unlisted(pk), robust=True)

    def listing_changed(self):
        """Call after creating the room or changing anything its list entry
        shows (name, slug, topic, archived, private, members): every signed-in
        page's room list follows, and the entry disappears for those who may
        not see the room. Several calls in one transaction broadcast once,
        with the state at commit."""
        if getattr(self, "_listing_queued", False):
            return
        self._listing_queued = True

        def send():
            self._listing_queued = False
            room = Room.objects.with_latest().filter(pk=self.pk).first()
            if room is not None:
                broadcast.room_listed(room, room.allowed_user_ids())

        transaction.on_commit(send, robust=True)

    def allowed_user_ids(self):
        """None for a public room (every signed-in user), else the members' ids."""
        return None if not self.is_private else set(self.members.values_list("pk", flat=True))

    def activity(self, message):
        """After commit: room lists on other pages count `message` as unread
        for the viewers who may see this room."""
        mentioned = sorted(message.mentions.values_list("pk", flat=True))
        broadcast.room_activity(message, self.allowed_user_ids(), mentioned)

    @staticmethod
    def messages_gone(room_pk, gone):
        """After commit: room lists that counted these deleted messages as
        unread ({pk, author_id, mentioned}) count them no more."""
        room = Room.objects.filter(pk=room_pk).first()
        if room is not None:  # deleted with its room: the room leaves the lists anyway
            broadcast.room_messages_gone(room_pk, gone, room.allowed_user_ids())

    def is_visible_to(self, user):
        if not user.is_authenticated:
            return False
        return not self.is_private or self.members.filter(pk=user.pk).exists()

    def readers(self):
        """Active users who may read this room: everyone in a public room, members in a private one."""
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(is_active=True)
        return users.filter(private_rooms=self) if self.is_private else users

    def latest_messages(self, limit=None):
        """The latest `limit` messages, oldest first, authors loaded."""
        return self.history_page(limit=limit)[0]

    def history_page(self, before=None, limit=None):
        """(messages, has_older): up to `limit` messages before id `before` (or
        the latest), oldest first, and whether older ones exist."""
        limit = limit or settings.CHAT_HISTORY_LENGTH
        messages = self.messages.for_display().order_by("-id")
        if before is not None:
            messages = messages.filter(pk__lt=before)
        page = list(messages[: limit + 1])
        return list(reversed(page[:limit])), len(page) > limit

    def post_message(self, author, text, client_id=None):
        return Message.objects.post(self, author, text, client_id)


class MessageQuerySet(models.QuerySet):
    def for_display(self):
        """What rendering a message needs, in a fixed number of queries for any number of messages."""
        return self.select_related("author").prefetch_related("mentions")

    def post(self, room, author, text, client_id=None):
        """Validate, save, then broadcast a message; returns the saved Message.

        Raises ValidationError for text that must not be saved and
        PermissionDenied when the author may not post here. The broadcast
        runs after commit, so nobody sees a message that was rolled back.
        `client_id` makes the send idempotent: a second post with the same
        id by the same author returns the first message and broadcasts nothing.
        """
        if not isinstance(text, str):
            raise ValidationError("A message must be text.", code="invalid")
        if room.is_archived:
            raise PermissionDenied("This room is archived: it is read-only.")
        if not room.is_visible_to(author):
            raise PermissionDenied("You are not a member of this room.")
        message = self.model(room=room, author=author, text=text, client_id=client_id or None)
        message.full_clean(exclude=["room", "author"], validate_unique=False, validate_constraints=False)
        if client_id and (earlier := self._sent_earlier(author, client_id)):
            return earlier
        flood.check(author)
        try:
            with transaction.atomic():
                message.save()
                message.refresh_mentions()
                transaction.on_commit(lambda: broadcast.message_posted(message), robust=True)
                transaction.on_commit(lambda: room.activity(message), robust=True)
        except IntegrityError:
            # The same client id raced in from another socket or process.
            if client_id and (earlier := self._sent_earlier(author, client_id)):
                return earlier
            raise
        return message

    def _sent_earlier(self, author, client_id):
        return self.filter(author=author, client_id=client_id).first()

    def remove(self):
        """Delete these messages, take them off every open page, and out of
        the unread counts of room lists that counted them."""
        gone = {}  # room id -> {message id -> what a room list needs to uncount it}
        for pk, room_id, author_id in self.values_list("pk", "room_id", "author_id"):
            gone.setdefault(room_id, {})[pk] = {"pk": pk, "author_id": author_id, "mentioned": []}
        mentions = self.model.mentions.through.objects.filter(message__in=self).order_by("user_id")
        for room_id, message_id, user_id in mentions.values_list("message__room_id", "message_id", "user_id"):
            gone[room_id][message_id]["mentioned"].append(user_id)
        with transaction.atomic():
            deleted, _ = self.filter(pk__in=[pk for messages in gone.values() for pk in messages]).delete()
            for room_id, messages in gone.items():
                group = Room.group_name_for(room_id)
                transaction.on_commit(partial(broadcast.messages_deleted, group, list(messages)), robust=True)
                transaction.on_commit(partial(Room.messages_gone, room_id, list(messages.values())), robust=True)
        return deleted

    def missed_since(self, room, after, limit):
        """Up to `limit` messages of `room` after id `after`, oldest first."""
        return list(self.filter(room=room, pk__gt=after).for_display().order_by("pk")[:limit])

    def revised_since(self, room, revisions):
        """Messages of `room` among `revisions` ({id: revision a page shows})
        that were edited after that revision, oldest first."""
        candidates = self.filter(room=room, pk__in=revisions, revision__gt=0).for_display().order_by("pk")
        return [message for message in candidates if message.revision > revisions[message.pk]]


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
    # Chosen by the sending page for each message, so a frame sent twice
    # (a resend after reconnecting, a double submit) is posted once.
    client_id = models.CharField(max_length=64, null=True, blank=True, editable=False)
    # Who `@username` in the text names among the room's readers, resolved
    # when the text is saved (refresh_mentions), so rendering needs no parsing
    # against the user table and every viewer gets the same HTML.
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Counts edits: a reconnecting page says which revision it shows, and
    # gets the newer ones (rooms/consumers.py, catch-up).
    revision = models.PositiveIntegerField(default=0, editable=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["room", "-id"], name="message_room_latest")]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_id"], condition=Q(client_id__isnull=False), name="message_unique_client_id"
            )
        ]

    def __str__(self):
        return f"{self.author}: {self.text[:50]}"

    @property
    def dom_id(self):
        return f"message-{self.pk}"

    @property
    def edit_deadline(self):
        return self.created_at + timedelta(seconds=settings.CHAT_EDIT_WINDOW_SECONDS)

    def edit(self, user, text):
        """Replace the text of one's own message within the edit window;
        every open page shows the new text marked "edited".

        Raises PermissionDenied (not the author, window closed, room
        archived or no longer visible) or ValidationError (bad text).
        """
        if not isinstance(text, str):
            raise ValidationError("A message must be text.", code="invalid")
        if self.author_id != user.pk:
            raise PermissionDenied("You can only edit your own messages.")
        if timezone.now() > self.edit_deadline:
            minutes = settings.CHAT_EDIT_WINDOW_SECONDS // 60
            raise PermissionDenied(
                f"Messages can be edited for {minutes} minutes after sending; delete it instead."
                if minutes else "The time to edit this message is over; delete it instead."
            )
        self._check_room_open_to(user)
        for validate in (validate_not_blank, validate_length):
            validate(text)
        if text == self.text:
            return self
        flood.check(user)
        with transaction.atomic():
            self.text = text
            self.edited_at = timezone.now()
            Message.objects.filter(pk=self.pk).update(text=text, edited_at=self.edited_at, revision=F("revision") + 1)
            self.refresh_from_db(fields=["revision"])
            self.refresh_mentions()
            transaction.on_commit(lambda: broadcast.message_edited(self), robust=True)
        return self

    def can_delete(self, user):
        return user.pk == self.author_id or user.is_staff

    def delete_by(self, user):
        """Delete one message as `user`: its author (any time) or staff; it
        disappears from every open page."""
        if not self.can_delete(user):
            raise PermissionDenied("You can only delete your own messages.")
        if not user.is_staff:
            self._check_room_open_to(user)
        Message.objects.filter(pk=self.pk).remove()

    def _check_room_open_to(self, user):
        room = Room.objects.get(pk=self.room_id)
        if room.is_archived:
            raise PermissionDenied("This room is archived: it is read-only.")
        if not room.is_visible_to(user):
            raise PermissionDenied("You are not a member of this room.")

    def refresh_mentions(self):
        """Recompute `mentions` from the current text; call after saving new text."""
        candidates = formatting.mention_candidates(self.text)
        readers = []
        if candidates:
            # @Bob may name bob: formatting picks among the names equal but for
            # case (as typed too: SQLite's lower() folds ASCII only).
            readers = self.room.readers()
            field = readers.model.USERNAME_FIELD
            readers = readers.alias(folded=Lower(field)).filter(
                Q(**{f"{field}__in": candidates}) | Q(folded__in={name.lower() for name in candidates})
            )
        by_name = {user.get_username(): user for user in readers}
        named = formatting.mentioned(self.text, by_name)
        self.mentions.set([by_name[name] for name in named])

    @property
    def body_html(self):
        """The text as safe HTML: escaped, then formatted (rooms/formatting.py)."""
        mentioned = {user.get_username(): user.pk for user in self.mentions.all()}
        return formatting.render(self.text, mentioned)


# --- The room list and unread counts ------------------------------------------------------


def _count(messages):
    return Subquery(messages.order_by().values("room").annotate(n=Count("pk")).values("n"))


class ReadMarkQuerySet(models.QuerySet):
    def mark_read(self, user, room, message_id):
        """Move `user`'s mark in `room` forward to `message_id` (never back);
        returns True when it moved. Every page of that user then updates the
        room's unread count. Only a message of this room that exists counts,
        so a page cannot mark messages read before they are written."""
        if not room.is_visible_to(user):
            raise PermissionDenied("You are not a member of this room.")
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
            broadcast.read_moved(user.pk, state)


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
