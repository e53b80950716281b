"""A deleted "Download my data" archive leaves storage once the deletion is
committed, however it goes: expired (tasks.delete_data_export), replaced by
a newer one, or with its person's account."""

from functools import partial

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import DataExport


@receiver(post_delete, sender=DataExport, dispatch_uid="transfer.data_export_deleted")
def data_export_deleted(sender, instance, **kwargs):
    if instance.file:
        transaction.on_commit(partial(default_storage.delete, instance.file.name), robust=True)
