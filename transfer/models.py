"""What moving history in and out keeps: which Slack ids an import has
brought in (so a second run brings nothing twice), and each person's
"Download my data" archives."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class SlackId(models.Model):
    """One thing an import brought in, by its Slack id: a person (U…), a
    bot (its bot id, or its name when it has none), a conversation (C…,
    G…, D…) or a message ("<conversation id>/<ts>": ts is unique within a
    conversation). `object_id` is the user, room or message made of it.

    An id, not a foreign key: an object deleted here since (a room staff
    removed) stays known as imported, so a later run does not bring it
    back, and deleting messages costs nothing more than before."""

    PERSON, BOT, CONVERSATION, MESSAGE = "person", "bot", "conversation", "message"
    KINDS = [(PERSON, "person"), (BOT, "bot"), (CONVERSATION, "conversation"), (MESSAGE, "message")]

    kind = models.CharField(max_length=12, choices=KINDS)
    slack_id = models.CharField(max_length=100)
    object_id = models.PositiveBigIntegerField()

    class Meta:
        verbose_name = "Slack id"
        constraints = [models.UniqueConstraint(fields=["kind", "slack_id"], name="slack_id_once_per_kind")]

    def __str__(self):
        return f"{self.kind} {self.slack_id} -> {self.object_id}"


class DataExportQuerySet(models.QuerySet):
    def latest_for(self, user):
        """`user`'s newest archive (any status), or None."""
        return self.filter(user=user).order_by("-pk").first()

    def expired(self):
        return self.filter(expires_at__lte=timezone.now())


class DataExport(models.Model):
    """A zip of one person's messages, files and settings, made by the
    worker when they ask for it at /settings/ and kept for
    CHAT_DATA_EXPORT_DAYS; only they can download it."""

    QUEUED, READY, FAILED = "queued", "ready", "failed"
    STATUSES = [(QUEUED, "being prepared"), (READY, "ready"), (FAILED, "failed")]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED)
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(max_length=500, blank=True)
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes stored")

    objects = DataExportQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return f"data of {self.user} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("transfer:download-data", args=[self.pk])

    @property
    def download_name(self):
        return f"chat-data-{self.user.get_username()}-{self.requested_at:%Y-%m-%d}.zip"

    @property
    def is_downloadable(self):
        return self.status == self.READY and self.expires_at is not None and self.expires_at > timezone.now()
