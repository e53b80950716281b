"""A deleted attachment's files leave storage once the deletion is
committed, however it was deleted: its message deleted by its author or
staff, the message's room deleted (the database cascade reaches every
attachment through Django's collector, which sends post_delete for each),
or the attachment itself in the admin. Before commit the files must stay:
a rolled-back deletion keeps a message whose files still open."""

from functools import partial

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Attachment


def _delete_stored(paths):
    for path in paths:
        default_storage.delete(path)


@receiver(post_delete, sender=Attachment, dispatch_uid="files.attachment_deleted")
def attachment_deleted(sender, instance, **kwargs):
    paths = [file.name for file in (instance.file, instance.preview) if file]
    transaction.on_commit(partial(_delete_stored, paths), robust=True)
