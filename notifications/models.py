"""Who wants email about mentions and direct messages they have not read,
and what was sent them.

A message is unread while it is past the reader's read mark in its room or
conversation (rooms/models/read_mark.py): marks move only when the newest
message was on screen in a visible tab (frontend read-marks.js), so a
message seen in a background tab still counts as unread.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
# Most messages one email lists; the rest are named by count.
MAX_LISTED = 20


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


class NotificationSettings(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings")
    email_mentions = models.BooleanField(
        "Email me about mentions and direct messages I have not read", default=True,
        help_text="At most one email every 15 minutes, with a link to each message.",
    )
    last_emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The newest message already emailed about: never twice about one message.
    emailed_through = models.PositiveBigIntegerField(default=0, editable=False)
    # When a batched check is already queued: messages during the pause share it.
    check_queued_for = models.DateTimeField(null=True, blank=True, editable=False)

    objects = NotificationSettingsQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "notification settings"

    def __str__(self):
        return f"email settings of {self.user}"

    @property
    def wants_email(self):
        return self.email_mentions and bool(self.user.email) and self.user.is_active

    def unsubscribe_token(self):
        # No timestamp: the link in every email stays the same and never expires.
        return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(self.user_id))

    def unsubscribe_url(self):
        return absolute(reverse("notifications:unsubscribe", kwargs={"token": self.unsubscribe_token()}))

    def next_email_allowed_at(self):
        if self.last_emailed_at is None:
            return None
        return self.last_emailed_at + timedelta(seconds=settings.CHAT_EMAIL_INTERVAL_SECONDS)

    def unread_to_email(self, now=None):
        """What the next email lists: mentions of the user and messages in
        their direct conversations, by others, older than
        CHAT_EMAIL_DELAY_SECONDS, still past the read mark of their room, in
        rooms the user may still read, and not emailed yet; oldest first."""
        from rooms.models import Message, ReadMark, Room

        now = now or timezone.now()
        user = self.user
        mark = ReadMark.objects.filter(user=user, room=OuterRef("room")).values("last_read")[:1]
        # EXISTS, not a join: a message mentioning several people stays one row.
        mentioned = Exists(Message.mentions.through.objects.filter(message=OuterRef("pk"), user=user))
        return (
            Message.objects.filter(pk__gt=self.emailed_through,
                                   created_at__lte=now - timedelta(seconds=settings.CHAT_EMAIL_DELAY_SECONDS),
                                   room__in=Room.objects.visible_to(user))
            .filter(mentioned | Q(room__kind=Room.DIRECT))
            .exclude(author=user)
            .alias(last_read=Subquery(mark))
            .filter(Q(last_read__isnull=True) | Q(pk__gt=models.F("last_read")))
            .select_related("room", "author")
            .order_by("pk")
        )


def absolute(path):
    """A link for outside the site: from CHAT_BASE_URL (a bare path when it is unset)."""
    return settings.CHAT_BASE_URL + path

