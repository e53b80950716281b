"""Membership changes reach open pages however they are made.

Django reports changes to a many-to-many field only through m2m_changed:
`room.members.add()`, `.remove()`, `.set()`, `.clear()` (the admin's member
picker included) all come through here into the Room's own methods.
"""

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .models import Room


@receiver(m2m_changed, sender=Room.members.through, dispatch_uid="rooms.members_changed")
def members_changed(sender, instance, action, reverse, pk_set, **kwargs):
    rooms = [instance] if not reverse else list(Room.objects.filter(pk__in=pk_set or ()))
    if reverse and action == "pre_clear":
        rooms = list(instance.private_rooms.all())
    for room in rooms:
        if action.startswith("pre_"):
            room.members_changing()
        else:
            room.access_changed()
