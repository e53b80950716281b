"""A profile's avatar leaves storage once the profile's deletion is
committed (its person deleted, in the admin or a shell): nothing is kept
that no account holds."""

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Profile


@receiver(post_delete, sender=Profile, dispatch_uid="accounts.profile_deleted")
def profile_deleted(sender, instance, **kwargs):
    if instance.avatar:
        name = instance.avatar.name
        transaction.on_commit(lambda: default_storage.delete(name), robust=True)
