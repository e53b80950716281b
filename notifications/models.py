"""Who wants email about mentions and direct messages they have not read,
at which confirmed address, and what was sent them.

A message is unread while it is past the reader's read mark in its room or
conversation (rooms/models/read_mark.py): marks move only when the newest
message was on screen in a visible tab (frontend read-marks.js), so a
message seen in a background tab still counts as unread.

An address receives nothing but its confirmation link until someone opens
that link: anyone can type anyone's address into their settings, and the
chat must not mail people who never asked for it.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from core.links import absolute
from rooms.models import Message, ReadMark, Room

from .preferences import RoomPreference, reaching  # noqa: F401 (RoomPreference: the app's model, found here)

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
CONFIRMATION_SALT = "notifications.confirm-address"
# Most messages one email lists; the rest are named by count.
MAX_LISTED = 20
# How long a confirmation link works.
CONFIRMATION_MAX_AGE = timedelta(days=3)
# Confirmation emails per person: to one address at least this far apart,
# and at most this many before a day without one. Typing someone else's
# address, or pressing "send again", mails them this little.
CONFIRMATION_PAUSE = timedelta(minutes=1)
CONFIRMATIONS_PER_DAY = 5


class ConfirmationPaused(Exception):
    """Too many confirmation emails lately; `until` says when the next may go."""

    def __init__(self, until):
        super().__init__(f"no confirmation email before {until.isoformat()}")
        self.until = until


class BadConfirmation(Exception):
    """A confirmation link that confirms nothing; the message says why, for the page."""


class NotificationSettingsQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.get_or_create(user=user)[0]

    def from_unsubscribe_token(self, token):
        """The settings an unsubscribe link names; None for a forged or mangled one."""
        try:
            user_pk = int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
        except (signing.BadSignature, ValueError):
            return None
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=user_pk).first()
        return self.for_user(user) if user is not None else None

    def from_confirmation_token(self, token):
        """(settings, address) for a confirmation link whose address is still
        its person's; raises BadConfirmation saying why not otherwise."""
        try:
            user_pk, digest = (
                signing.TimestampSigner(salt=CONFIRMATION_SALT).unsign(token, max_age=CONFIRMATION_MAX_AGE).split(".")
            )
            user_pk = int(user_pk)
        except signing.SignatureExpired:
            raise BadConfirmation(
                f"This link has expired: links work for {CONFIRMATION_MAX_AGE.days} days. "
                "Ask for a new one in Settings."
            ) from None
        except (signing.BadSignature, ValueError):
            raise BadConfirmation("This link does not work: it may have been cut short by the mail program.") from None
        prefs = self.select_related("user").filter(user_id=user_pk, user__is_active=True).first()
        if prefs is None or not constant_time_compare(digest, address_digest(prefs.user.email)):
            raise BadConfirmation(
                "This link is for an address that is no longer set for emails: a newer link was sent to the "
                "address set now."
            )
        return prefs, prefs.user.email


def address_digest(address):
    """Names an address inside a confirmation link without spelling it out
    (links end up in logs): keyed with SECRET_KEY, so it cannot be checked
    against guesses."""
    return salted_hmac(CONFIRMATION_SALT, address, algorithm="sha256").hexdigest()[:20]


class NotificationSettings(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    # The help text names CHAT_EMAIL_INTERVAL_SECONDS in words (pace_in_words),
    # set by the forms that show it: a setting in a model field would be a
    # migration each time it changes.
    email_unread_mentions_and_dms = models.BooleanField(
        "Email me about mentions and direct messages I have not read", default=True
    )
    last_emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The newest message already emailed about: never twice about one message.
    emailed_through = models.PositiveBigIntegerField(default=0, editable=False)
    # When a batched check is already queued: messages during the pause share it.
    check_queued_for = models.DateTimeField(null=True, blank=True, editable=False)
    # The address whose confirmation link was opened. The user's address
    # (user.email) gets emails only while it is this one: any other, typed
    # here or in the admin, waits for its own confirmation.
    confirmed_email = models.EmailField(blank=True, editable=False)
    # The last confirmation email: where, when, and how many went since the
    # last day without one (CONFIRMATIONS_PER_DAY).
    confirmation_sent_to = models.EmailField(blank=True, editable=False)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmations_sent = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = NotificationSettingsQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self):
        return f"email settings of {self.user}"

    @property
    def email_confirmed(self):
        return bool(self.user.email) and self.user.email == self.confirmed_email

    @property
    def awaiting_confirmation(self):
        return bool(self.user.email) and not self.email_confirmed

    @property
    def confirmation_sent(self):
        """Whether the address set now was sent a link (else: set in the
        admin, by the upgrade, or while confirmations were paused)."""
        return self.awaiting_confirmation and self.confirmation_sent_to == self.user.email

    @property
    def wants_email(self):
        return self.email_unread_mentions_and_dms and self.email_confirmed and self.user.is_active

    def unsubscribe_token(self):
        # No timestamp: the link in every email stays the same and never expires.
        return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(self.user_id))

    def unsubscribe_url(self):
        return absolute(reverse("notifications:unsubscribe", kwargs={"token": self.unsubscribe_token()}))

    def confirmation_url(self):
        """A link confirming the address set now, for CONFIRMATION_MAX_AGE;
        setting another address makes it confirm nothing."""
        token = signing.TimestampSigner(salt=CONFIRMATION_SALT).sign(
            f"{self.user_id}.{address_digest(self.user.email)}"
        )
        return absolute(reverse("notifications:confirm", kwargs={"token": token}))

    def set_address(self, address):
        """Set the user's address; a new one that is not confirmed yet is sent
        a confirmation link (request_confirmation: may raise ConfirmationPaused,
        the address stays set). Returns whether a link was queued."""
        if address == self.user.email:
            return False
        self.user.email = address
        self.user.save(update_fields=["email"])
        if not self.awaiting_confirmation:
            return False
        self.request_confirmation()
        return True

    def confirmation_allowed_at(self, now=None):
        """When the next confirmation email to the address set now may go; None: now."""
        now = now or timezone.now()
        last = self.confirmation_sent_at
        if last is None:
            return None
        if self.confirmations_sent >= CONFIRMATIONS_PER_DAY and now < last + timedelta(days=1):
            return last + timedelta(days=1)
        # A mistyped address corrected at once gets its link at once.
        if self.confirmation_sent_to == self.user.email and now < last + CONFIRMATION_PAUSE:
            return last + CONFIRMATION_PAUSE
        return None

    def request_confirmation(self, now=None):
        """Queue a confirmation email to the address set now, unless it is
        confirmed already (nothing to do) or too many went lately
        (ConfirmationPaused). Counted under the row's lock: two presses at
        once send one."""
        from .tasks import email_confirmation

        now = now or timezone.now()
        with transaction.atomic():
            locked = NotificationSettings.objects.select_for_update().select_related("user").get(pk=self.pk)
            if not locked.awaiting_confirmation:
                return
            allowed_at = locked.confirmation_allowed_at(now)
            if allowed_at is not None:
                raise ConfirmationPaused(allowed_at)
            rested = locked.confirmation_sent_at is None or now >= locked.confirmation_sent_at + timedelta(days=1)
            address = locked.user.email
            sent = {
                "confirmation_sent_to": address,
                "confirmation_sent_at": now,
                "confirmations_sent": 1 if rested else locked.confirmations_sent + 1,
            }
            NotificationSettings.objects.filter(pk=self.pk).update(**sent)
            for field, value in sent.items():
                setattr(self, field, value)
            transaction.on_commit(lambda: email_confirmation.enqueue(self.user_id, address), robust=True)

    def confirm(self, address):
        """The link sent to `address` was opened: it gets emails from now on."""
        self.confirmed_email = address
        self.save(update_fields=["confirmed_email"])

    def next_email_allowed_at(self):
        if self.last_emailed_at is None:
            return None
        return self.last_emailed_at + timedelta(seconds=settings.CHAT_EMAIL_INTERVAL_SECONDS)

    def unread_to_email(self, now=None):
        """What the next email lists: the messages that reach the user by
        their level in each room (preferences.py: mentions, direct messages,
        every message of a room on "All messages", nothing of a muted one),
        by others, older than CHAT_EMAIL_DELAY_SECONDS, still past the read
        mark of their room, in rooms the user may still read, and not emailed
        yet; oldest first."""
        now = now or timezone.now()
        user = self.user
        mark = ReadMark.objects.filter(user=user, room=OuterRef("room")).values("last_read")[:1]
        return (
            Message.objects.filter(
                pk__gt=self.emailed_through,
                created_at__lte=now - timedelta(seconds=settings.CHAT_EMAIL_DELAY_SECONDS),
                room__in=Room.objects.visible_to(user),
            )
            .filter(reaching(user))
            # The email says which of them mention the reader.
            .annotate(
                mentions_reader=Exists(Message.mentions.through.objects.filter(message=OuterRef("pk"), user=user))
            )
            .exclude(author=user)
            .alias(last_read=Subquery(mark))
            .filter(Q(last_read__isnull=True) | Q(pk__gt=models.F("last_read")))
            .select_related("room", "author__profile")
            .order_by("pk")
        )


def pace_in_words(seconds=None):
    """CHAT_EMAIL_INTERVAL_SECONDS as the settings page and each email say
    it: "At most one email every 15 minutes", "every hour", "every 2 hours"."""
    seconds = settings.CHAT_EMAIL_INTERVAL_SECONDS if seconds is None else seconds
    if seconds <= 0:
        return "An email as soon as messages are due"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"At most one email every {unit}" if count == 1 else f"At most one email every {count} {unit}s"
