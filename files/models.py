"""Files attached to messages: what was uploaded, where it is stored, and
who may fetch it (whoever may read the message's room, checked on every
request by files/views.py)."""

from django.db import models
from django.urls import reverse

from rooms import flood
from rooms.models import Message, Room

from . import uploads


class AttachmentQuerySet(models.QuerySet):
    def check_can_upload(self, room, author, body_size):
        """What refuses an upload before its body is read: the room, the
        author's rights (PermissionDenied: NotAMember, RoomArchived, a
        deactivated account), their flood allowance (FloodError), and a body
        too large for any files allowed (ValidationError "too_large")."""
        room.check_can_post(author)
        flood.check_allowance(author)
        uploads.check_body_size(body_size)

    def post(self, room, author, caption, files, client_id=None):
        """Post one message holding `files` (UploadedFile) with `caption` as
        its text; returns the saved Message, broadcast after commit like any
        other (Message.objects.post, which checks everything again).

        Cheap checks first: the room, the author's rights, the caption, the
        flood allowance, the number and sizes of the files, before any file
        is stored or decoded (an image's re-encoding costs a process and up
        to seconds of CPU). Raises PermissionDenied, FloodError, or
        ValidationError (a caption or a file refused: too large, not a valid
        image, too many): then nothing is saved or stored."""
        Message.objects.check_post(room, author, caption, client_id, with_attachments=bool(files))
        uploads.check(files)
        stored = uploads.store(room, files)
        pending = [PendingAttachment(each) for each in stored]
        try:
            message = Message.objects.post(room, author, caption, client_id, attachments=pending)
        except BaseException:
            uploads.discard(stored)
            raise
        if not all(each.saved is not None and each.saved.message_id == message.pk for each in pending):
            # The same client id was posted before (a resent upload): that message stands.
            uploads.discard(stored)
        return message


class PendingAttachment:
    """A stored file, saved as an Attachment in its message's transaction
    (Message.objects.post calls save_with)."""

    def __init__(self, stored):
        self.stored = stored
        self.saved = None

    def save_with(self, message):
        self.saved = Attachment.objects.create(message=message, **self.stored.fields())
        return self.saved


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    # The file's name as uploaded: shown, used as the <img> alt and the download name.
    name = models.CharField(max_length=255)
    # What is stored: an image's re-encoded copy, any other file as uploaded.
    # Stored through STORAGES["default"] under a name files/uploads.py picks.
    file = models.FileField(max_length=500)
    size = models.PositiveBigIntegerField(help_text="Bytes stored")
    content_type = models.CharField(max_length=100)
    # Images only: the stored copy's size in pixels, and a scaled preview.
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    preview = models.FileField(max_length=500, blank=True)
    preview_width = models.PositiveIntegerField(null=True, blank=True)
    preview_height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("files:download", args=[self.pk, self.name])

    @property
    def is_image(self):
        return bool(self.preview)

    @property
    def preview_url(self):
        return reverse("files:preview", args=[self.pk])


class RoomStorage(Room):
    """Rooms as the admin's storage list sees them (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "room storage"
        verbose_name_plural = "storage per room"
