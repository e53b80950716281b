"""Reactions: emoji people pin on a message instead of answering it.

A reaction is one person's one emoji on one message; adding the same again
takes it back (Reaction.objects.toggle, which Message.toggle_reaction
calls). Each change bumps the message's revision, so a page that was
offline gets the message again on catch-up like an edit, and is broadcast
after commit as one fragment: the message's reactions block, the same for
every viewer (who reacted is in it; the page marks its viewer's own).
"""

from collections import Counter
from dataclasses import dataclass

import emoji as emoji_data
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F

from accounts.names import display_name

from .. import broadcasts, flood
from .room import Room

# What the palette offers someone who has not reacted yet, in this order.
DEFAULT_PALETTE = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"]
PALETTE_SIZE = 8
# How far back someone's own reactions count for their palette (bounded,
# however long they have been reacting).
PALETTE_HISTORY = 200
# The accessible name lists this many people, then "and N more".
NAMED_PEOPLE = 10
MAX_EMOJI_LENGTH = 32


def normalized_emoji(value):
    """The emoji as stored: one emoji (a skin tone, a flag and a family count
    as one), fully qualified so that ❤ and ❤️ are the same reaction. Raises
    ValidationError for anything else."""
    value = value.strip() if isinstance(value, str) else ""
    if not value or len(value) > MAX_EMOJI_LENGTH or not emoji_data.is_emoji(value):
        raise ValidationError(
            "Reactions are single emoji: pick one from the palette or type one emoji.", code="not_emoji"
        )
    qualified = emoji_data.emojize(emoji_data.demojize(value))
    return qualified if emoji_data.is_emoji(qualified) else value


def emoji_name(value):
    """What a screen reader and a tooltip call the emoji: "thumbs up"."""
    return emoji_data.demojize(value, delimiters=("", "")).replace("_", " ")


@dataclass
class ReactionGroup:
    """One button under a message: an emoji and everyone who reacted with it."""

    emoji: str
    user_ids: list
    names: list

    @property
    def count(self):
        return len(self.user_ids)

    @property
    def name(self):
        return emoji_name(self.emoji)

    @property
    def people(self):
        shown = self.names[:NAMED_PEOPLE]
        if len(self.names) > NAMED_PEOPLE:
            return f"{', '.join(shown)} and {len(self.names) - NAMED_PEOPLE} more"
        return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"

    @property
    def user_ids_attribute(self):
        # Spaces around, so the page can look for " 12 " in it.
        return " " + " ".join(str(pk) for pk in self.user_ids) + " "


def grouped(reactions):
    """Reactions (ordered by id) as ReactionGroups, each emoji where it first appeared."""
    groups = {}
    for reaction in reactions:
        group = groups.setdefault(reaction.emoji, ReactionGroup(reaction.emoji, [], []))
        group.user_ids.append(reaction.user_id)
        group.names.append(display_name(reaction.user))
    return list(groups.values())


class ReactionQuerySet(models.QuerySet):
    def toggle(self, message, user, value):
        """Add `user`'s reaction `value` to `message`, or take it back if
        they had it; True when added. Raises ValidationError (not an emoji,
        too many, flood control), PermissionDenied (room.check_can_post)
        or Message.DoesNotExist (deleted meanwhile)."""
        value = normalized_emoji(value)
        Room.objects.get(pk=message.room_id).check_can_post(user)
        flood.check_reactions(user)
        with transaction.atomic():
            # The revision first: it locks the message's row, so two people
            # reacting at once are counted one after the other for the caps.
            if not type(message).objects.filter(pk=message.pk).update(revision=F("revision") + 1):
                raise type(message).DoesNotExist("That message no longer exists.")
            removed, _ = self.filter(message=message, user=user, emoji=value).delete()
            if not removed:
                self._check_room_for(message, user, value)
                try:
                    with transaction.atomic():
                        self.create(message=message, user=user, emoji=value)
                except IntegrityError:  # the same reaction from another tab, just now: it is there
                    pass
            transaction.on_commit(lambda: announce(message.pk), robust=True)
        return not removed

    def _check_room_for(self, message, user, value):
        on_message = self.filter(message=message)
        if not on_message.filter(emoji=value).exists():
            limit = settings.CHAT_REACTION_EMOJI_PER_MESSAGE
            if on_message.values("emoji").distinct().count() >= limit:
                raise ValidationError(
                    "This message already has %(limit)d different reactions: add to one of them instead.",
                    code="too_many_reactions",
                    params={"limit": limit},
                )
        limit = settings.CHAT_REACTION_EMOJI_PER_PERSON
        if on_message.filter(user=user).count() >= limit:
            raise ValidationError(
                "You can add at most %(limit)d reactions to one message: take one back first.",
                code="too_many_reactions",
                params={"limit": limit},
            )

    def palette_for(self, user):
        """The PALETTE_SIZE emoji `user` used most among their latest
        reactions, then the defaults: (emoji, name) pairs."""
        latest = self.filter(user=user).order_by("-pk").values_list("emoji", flat=True)[:PALETTE_HISTORY]
        used = [value for value, _ in Counter(latest).most_common(PALETTE_SIZE)]
        chosen = used + [value for value in DEFAULT_PALETTE if value not in used]
        return [(value, emoji_name(value)) for value in chosen[:PALETTE_SIZE]]


def announce(message_pk):
    """After commit: every open page shows the message's reactions as they are now."""
    from .message import Message

    message = Message.objects.for_display().filter(pk=message_pk).first()
    if message is not None:  # deleted meanwhile: its deletion went out instead
        broadcasts.reactions_changed(message)


class Reaction(models.Model):
    # No index of their own: the constraint's and the index's below lead with them.
    message = models.ForeignKey("rooms.Message", on_delete=models.CASCADE, related_name="reactions", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_reactions", db_index=False
    )
    emoji = models.CharField(max_length=MAX_EMOJI_LENGTH, validators=[normalized_emoji])
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReactionQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["message", "user", "emoji"], name="reaction_once_per_person")]
        # Someone's latest reactions, for their palette.
        indexes = [models.Index(fields=["user", "id"], name="reaction_user_latest")]

    def __str__(self):
        return f"{self.user} {self.emoji} on {self.message_id}"
