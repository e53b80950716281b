"""People a message addresses are checked for an email later (SPEC 13):
those it mentions in a room, and the other participants of a direct
conversation. Both take one path (tasks.addressed)."""

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from rooms.models import Message

from .tasks import addressed


@receiver(m2m_changed, sender=Message.mentions.through, dispatch_uid="notifications.mentioned_people")
def mentioned_people(sender, instance, action, reverse, pk_set, **kwargs):
    # In a conversation every other participant is checked already (below),
    # and nobody else may read it.
    if action == "post_add" and not reverse and pk_set and not instance.room.is_direct:
        addressed(instance, pk_set)


@receiver(post_save, sender=Message, dispatch_uid="notifications.direct_message_people")
def direct_message_people(sender, instance, created, raw=False, **kwargs):
    if created and not raw and instance.room.is_direct:
        addressed(instance, instance.room.members.values_list("pk", flat=True))
