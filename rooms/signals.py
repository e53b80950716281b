"""Membership changes reach open pages however they are made.

Django reports changes to a many-to-many field only through m2m_changed:
`room.members.add()`, `.remove()`, `.set()`, `.clear()` (the admin's member
picker included) all come through here into the Room's own methods, and
into the rule that keeps a direct conversation's people as they started.
"""

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .models import Room
from .models.direct import check_people_fixed


@receiver(m2m_changed, sender=Room.members.through, dispatch_uid="rooms.members_changed")
def members_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not reverse:
        rooms = [instance]
    elif action.startswith("pre_"):
        # user.private_rooms.add/remove/clear: the same Room instances
        # before and after, so each remembers who could read it.
        rooms = list(instance.private_rooms.all() if action == "pre_clear" else Room.objects.filter(pk__in=pk_set))
        instance._rooms_changing = rooms
    else:
        rooms = getattr(instance, "_rooms_changing", [])
    for room in rooms:
        if action.startswith("pre_"):
            if room.is_direct:
                check_people_fixed(room, action, {instance.pk} if reverse else pk_set)
            room.members_changing()
        else:
            room.access_changed()
