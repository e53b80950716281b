"""An open socket never outlives what allowed it (docs/security.md).

Logging out closes the sockets of that session; deactivating or deleting a
user closes all of theirs (4401). These are signals because the events are
Django auth's, not ours: the logout view, the admin's user pages and a shell
all come through here. Losing staff rights or a room takes effect on the
next frame (consumers re-read the user and the room for every change).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import broadcast


@receiver(user_logged_out, dispatch_uid="realtime.logged_out")
def logged_out(sender, request, user, **kwargs):
    if user is not None and request.session.session_key:
        broadcast.signed_out(user.pk, request.session.session_key)


@receiver(post_save, sender=get_user_model(), dispatch_uid="realtime.user_saved")
def user_saved(sender, instance, created, **kwargs):
    if not created and not instance.is_active:
        transaction.on_commit(lambda: broadcast.signed_out(instance.pk), robust=True)


@receiver(post_delete, sender=get_user_model(), dispatch_uid="realtime.user_deleted")
def user_deleted(sender, instance, **kwargs):
    pk = instance.pk
    transaction.on_commit(lambda: broadcast.signed_out(pk), robust=True)
