"""Messages: posting, editing and deleting them (what a page missed: catch_up.py).

Every change is validated here, saved, and broadcast after commit through
rooms/broadcasts.py, so no caller can forget to tell open pages and no
page sees what was rolled back. Text is saved as typed but for emoji
shortcodes (`:tada:` outside code and links becomes 🎉: stored_text),
converted here for every way a message comes in (a page, a bot, an upload's
caption, an edit), before the text is checked.
"""

import re
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import Truncator

from accounts.names import PROFILE, display_name

from .. import broadcasts, flood, formatting
from .catch_up import CatchUp
from .reaction import Reaction, grouped
from .room import Room

# Who wrote a message whose author's account was deleted.
DELETED_USER = "deleted user"
# A reply quotes this many characters of its original.
QUOTE_LENGTH = 80


class MessageQuerySet(CatchUp, models.QuerySet):
    def for_display(self):
        """What rendering a message needs, in a fixed number of queries for any number of messages."""
        reactions = models.Prefetch("reactions", Reaction.objects.select_related(f"user__{PROFILE}").order_by("pk"))
        mentions = models.Prefetch("mentions", get_user_model().objects.select_related(PROFILE))
        # author__bot: the "bot" badge (integrations/) without a query per
        # message; the profiles: display names and avatars (accounts/names.py).
        return self.select_related(
            f"author__{PROFILE}", "author__bot", "room", f"reply_to__author__{PROFILE}"
        ).prefetch_related(mentions, reactions, "attachments")

    def post(self, room, author, text, client_id=None, reply_to=None, attachments=()):
        """Validate, save, then broadcast a message; returns the saved Message.

        Raises ValidationError for text that must not be saved and
        PermissionDenied (room.check_can_post) when the author may not post
        here. The broadcast runs after commit, so nobody sees a message that
        was rolled back. `client_id` makes the send idempotent: a second post
        with the same id by the same author returns the first message and
        broadcasts nothing (it counts once toward flood control, and is never
        refused by it). `reply_to` (a message id) quotes a message of
        the same room; any other is refused with ValidationError.

        `attachments`: files already stored (files.models.PendingAttachment), saved
        with the message in its transaction (`save_with(message)`); with them
        the text is a caption and may be blank.
        """
        message = self._validated(room, author, text, client_id, reply_to, with_attachments=bool(attachments))
        # A resend (same client id) is found by the unique constraint when
        # saving, not by a query before every message; it spends one hit of
        # flood control, and is never refused by it.
        try:
            flood.check(author)
        except flood.FloodError:
            if client_id and (earlier := self._sent_earlier(author, client_id)):
                return earlier
            raise
        try:
            with transaction.atomic():
                message.save()
                # Rendering the new message asks nothing it was just told:
                # its files, its mentions, and no reactions yet.
                _known(message, "attachments", [attachment.save_with(message) for attachment in attachments])
                message.refresh_mentions(new=True)
                message.reaction_groups = []
                transaction.on_commit(lambda: broadcasts.message_posted(message), robust=True)
                transaction.on_commit(lambda: message.announce_activity(), robust=True)
        except IntegrityError:
            # Sent before (a resend after reconnecting, another tab) or racing
            # in from another socket or process: the first message stands.
            if client_id and (earlier := self._sent_earlier(author, client_id)):
                return earlier
            raise
        return message

    def check_post(self, room, author, text, client_id=None, with_attachments=False):
        """Raise what post() would raise for this message (PermissionDenied,
        ValidationError, FloodError), saving and counting nothing: for a
        caller with costly work to do before posting (an upload's files are
        stored, its images re-encoded, before their message is posted)."""
        self._validated(room, author, text, client_id, None, with_attachments)
        if not (client_id and self._sent_earlier(author, client_id)):
            flood.check_allowance(author)

    def _validated(self, room, author, text, client_id, reply_to, with_attachments):
        """The message, checked and not saved. With attachments the text is a caption and may be blank."""
        room.check_can_post(author)
        text = stored_text(text)
        validate_text(text, caption=with_attachments)
        message = self.model(room=room, author=author, text=text, client_id=client_id or None)
        if reply_to is not None:
            message.reply_to, message.is_reply = self._reply_target(room, reply_to), True
        # The text was checked above (a caption may be blank, which the field is not).
        message.full_clean(exclude=["room", "author", "text"], validate_unique=False, validate_constraints=False)
        return message

    def _reply_target(self, room, pk):
        # One answer for "elsewhere" and "gone": ids of other rooms' messages stay unconfirmed.
        original = room.messages.filter(pk=pk).select_related(f"author__{PROFILE}").first()
        if original is None:
            raise ValidationError(
                "You can only reply to a message of this room that still exists.", code="reply_elsewhere"
            )
        return original

    def _sent_earlier(self, author, client_id):
        return self.filter(author=author, client_id=client_id).first()

    def delete(self):
        """Delete these messages, take them off every open page, and out of
        the unread counts of room lists that counted them."""
        gone = {}  # room id -> {message id -> what a room list needs to uncount it}
        for pk, room_id, author_id in self.values_list("pk", "room_id", "author_id"):
            gone.setdefault(room_id, {})[pk] = {"pk": pk, "author_id": author_id, "mentioned": []}
        mentions = self.model.mentions.through.objects.filter(message__in=self).order_by("user_id")
        for room_id, message_id, user_id in mentions.values_list("message__room_id", "message_id", "user_id"):
            gone[room_id][message_id]["mentioned"].append(user_id)
        with transaction.atomic():
            pks = [pk for messages in gone.values() for pk in messages]
            result = models.QuerySet.delete(self.model.objects.filter(pk__in=pks))
            for room_id, messages in gone.items():
                group = Room.group_name_for(room_id)
                transaction.on_commit(partial(broadcasts.messages_deleted, group, list(messages)), robust=True)
                transaction.on_commit(partial(_uncount, room_id, list(messages.values())), robust=True)
        return result


def _known(message, relation, objects):
    """Answer `message.<relation>.all()` with `objects` from now on, as
    prefetch_related() would have, without asking the database."""
    queryset = getattr(message, relation).get_queryset()
    queryset._result_cache, queryset._prefetch_done = list(objects), True
    message.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = queryset


def _uncount(room_pk, gone):
    """After commit: room lists that counted these deleted messages as
    unread ({pk, author_id, mentioned}) count them no more."""
    room = Room.objects.filter(pk=room_pk).first()
    if room is not None:  # deleted with its room: the room leaves the lists anyway
        broadcasts.room_messages_gone(room_pk, gone, room.allowed_user_ids())


# What no message may hold, whatever brings it (the socket, an upload's
# caption, the bots' API, a bot's webhook answer, the admin):
# - lone surrogates (U+D800-U+DFFF): half of a character cut in two, which
#   JSON's "\ud800" lets a client send; they have no UTF-8 form, so neither
#   database can store them and no page can be sent them;
# - NUL, which PostgreSQL text cannot hold and HTML shows as U+FFFD;
# - the other C0 controls, DEL and the C1 controls (U+0080-U+009F):
#   invisible on a page, and escape sequences for the terminals that show
#   logs or an exported history. Tab and newline are typed by people, and
#   carriage return comes with every newline a browser posts from a form
#   (a caption's lines arrive as CRLF), so those three stay.
UNSENDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def validate_sendable(value):
    """Refuse characters no message may hold (UNSENDABLE says which and why)."""
    if found := UNSENDABLE.search(value):
        character = found.group()
        what = "half of a character cut in two" if "\ud800" <= character <= "\udfff" else "a control character"
        raise ValidationError(
            "Messages cannot contain U+%(code)04X (%(what)s); remove it and send again.",
            code="unsendable",
            params={"code": ord(character), "what": what},
        )


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


def stored_text(text):
    """What a message's `text` is saved as: its emoji shortcodes outside code
    and links become the emoji (formatting.with_emoji). Anything but text is
    left for validate_text to refuse."""
    return formatting.with_emoji(text) if isinstance(text, str) else text


def validate_text(value, caption=False):
    """The one check of a message's text, whatever brings it: text (not
    None, not a number), nothing UNSENDABLE, not blank (unless it is the
    caption of files, which may be), within CHAT_MAX_MESSAGE_LENGTH. The
    first problem is the one reported."""
    if not isinstance(value, str):
        raise ValidationError("A message must be text.", code="invalid")
    validate_sendable(value)
    if not caption:
        validate_not_blank(value)
    validate_length(value)


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    # None once the author's account is deleted: the history keeps their
    # messages, shown as from "deleted user".
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="chat_messages"
    )
    # Stored as typed (emoji shortcodes converted: stored_text); escaped
    # whenever it is rendered.
    text = models.TextField(validators=[validate_text], error_messages={"blank": "Type a message before sending."})
    # Chosen by the sending page for each message, so a frame sent twice
    # (a resend after reconnecting, a double submit) is posted once.
    # NULL for messages no page sent (bots, imports): the unique constraint
    # on (author, client_id) leaves them out.
    client_id = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False, validators=[validate_sendable]
    )
    # Who `@username` in the text names among the room's readers, resolved
    # when the text is saved (refresh_mentions), so rendering needs no parsing
    # against the user table and every viewer gets the same HTML.
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in", editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Counts edits: a reconnecting page says which revision it shows, and
    # gets the newer ones (MessageQuerySet.changed_among).
    revision = models.PositiveIntegerField(default=0, editable=False)
    # The message this one answers, quoted above it (same room). Deleting the
    # original empties reply_to; is_reply remains so the quote says "message
    # deleted" (db_default: rows bulk-loaded without it are not replies).
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies", editable=False
    )
    is_reply = models.BooleanField(default=False, db_default=False, editable=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        # A room's history in order, with the author as a last key column
        # (portable, unlike INCLUDE): unread counts skip the reader's own
        # messages without visiting the table (index-only once vacuumed).
        indexes = [models.Index(fields=["room", "id", "author"], name="message_room_id_author")]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_id"], condition=Q(client_id__isnull=False), name="message_unique_client_id"
            )
        ]

    def __str__(self):
        return f"{self.author_name}: {self.text[:50]}"

    def get_absolute_url(self):
        """Its permalink: the room (or conversation) opened around it."""
        return self.room.url("message", pk=self.pk)

    @property
    def author_name(self):
        """The author as people see them (their display name), or "deleted user"."""
        return display_name(self.author) if self.author is not None else DELETED_USER

    @property
    def author_is_bot(self):
        """Whether a bot posted it (the badge). The author's bot is read with
        them (for_display): a person has none, which the template would
        learn by a failed lookup, an exception and a dir() of the user
        (about a fifth of rendering a message)."""
        return self.author is not None and hasattr(self.author, "bot")

    @property
    def author_handle(self):
        """The author's username (their @handle), or "deleted user": for machines (a bot's webhook)."""
        return self.author.get_username() if self.author is not None else DELETED_USER

    @property
    def edit_deadline(self):
        return self.created_at + timedelta(seconds=settings.CHAT_EDIT_WINDOW_SECONDS)

    # --- who may change it ---------------------------------------------------------------

    def check_can_edit(self, user):
        """Raise PermissionDenied unless `user` may edit this message now:
        its author, within the edit window, in a room open to them."""
        if self.author_id is None or self.author_id != user.pk:
            raise PermissionDenied("You can only edit your own messages.")
        if timezone.now() > self.edit_deadline:
            minutes = settings.CHAT_EDIT_WINDOW_SECONDS // 60
            raise PermissionDenied(
                f"Messages can be edited for {minutes} minutes after sending; delete it instead."
                if minutes
                else "The time to edit this message is over; delete it instead."
            )
        Room.objects.get(pk=self.room_id).check_can_post(user)

    def check_can_delete(self, user):
        """Raise PermissionDenied unless `user` may delete this message: its
        author in a room open to them, or staff anywhere they can read."""
        room = Room.objects.get(pk=self.room_id)
        # Moderators: any message of a room they can read, archived too (not
        # of the others in a conversation they are part of).
        if user.is_staff and not room.is_direct:
            room.check_can_read(user)
            return
        if self.author_id is None or self.author_id != user.pk:
            raise PermissionDenied("You can only delete your own messages.")
        room.check_can_post(user)

    def can_delete(self, user):
        try:
            self.check_can_delete(user)
        except PermissionDenied:
            return False
        return True

    # --- changes ------------------------------------------------------------------------

    def edit(self, user, text):
        """Replace the text of one's own message within the edit window;
        every open page shows the new text marked "edited".

        Raises PermissionDenied (check_can_edit) or ValidationError (bad text).
        """
        self.check_can_edit(user)
        text = stored_text(text)
        validate_text(text)
        if text == self.text:
            return self
        flood.check(user)
        with transaction.atomic():
            self.text = text
            self.edited_at = timezone.now()
            Message.objects.filter(pk=self.pk).update(text=text, edited_at=self.edited_at, revision=F("revision") + 1)
            self.refresh_from_db(fields=["revision"])
            self.refresh_mentions()
            transaction.on_commit(lambda: broadcasts.message_edited(self), robust=True)
        return self

    def toggle_reaction(self, user, emoji):
        """Add `user`'s emoji reaction, or take it back; True when added.
        Every open page shows the new counts (rooms/models/reaction.py)."""
        return Reaction.objects.toggle(self, user, emoji)

    @cached_property
    def reaction_groups(self):
        """The reactions as the page shows them: one ReactionGroup per emoji."""
        return grouped(self.reactions.all())

    @property
    def quote_text(self):
        """The start of the text, as a reply quotes it."""
        return Truncator(" ".join(self.text.split())).chars(QUOTE_LENGTH)

    def delete_by(self, user):
        """Delete one message as `user` (check_can_delete); it disappears from every open page."""
        self.check_can_delete(user)
        self.delete()

    def delete(self, *args, **kwargs):
        return Message.objects.filter(pk=self.pk).delete()

    def refresh_mentions(self, new=False):
        """Recompute `mentions` from the current text; call after saving new
        text (`new`: a message just created, which has none to replace).
        `mentions.all()` then answers without a query, profiles included."""
        candidates = formatting.mention_candidates(self.text)
        readers = []
        if candidates:
            # @Bob may name bob: formatting picks among the names equal but for
            # case (as typed too: SQLite's lower() folds ASCII only).
            readers = self.room.readers()
            field = readers.model.USERNAME_FIELD
            readers = (
                readers.alias(folded=Lower(field))
                .filter(Q(**{f"{field}__in": candidates}) | Q(folded__in={name.lower() for name in candidates}))
                .select_related(PROFILE)
            )
        by_name = {user.get_username(): user for user in readers}
        mentioned = [by_name[name] for name in formatting.mentioned(self.text, by_name)]
        if not new:
            self.mentions.set(mentioned)
        elif mentioned:
            self.mentions.add(*mentioned)
        _known(self, "mentions", mentioned)

    def announce_activity(self):
        """After commit: room lists on other pages count this message as
        unread for the viewers who may see its room."""
        mentioned = sorted(user.pk for user in self.mentions.all())
        broadcasts.room_activity(self, self.room.allowed_user_ids(), mentioned)

    @property
    def body_html(self):
        """The text as safe HTML: escaped, then formatted (rooms/formatting.py)."""
        mentioned = list(self.mentions.all())
        return formatting.render(
            self.text,
            {user.get_username(): user.pk for user in mentioned},
            {user.get_username(): display_name(user) for user in mentioned},
        )
