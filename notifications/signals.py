"""People mentioned in a message are checked for an email later (SPEC 13)."""

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from rooms.models import Message

from .tasks import mentioned


@receiver(m2m_changed, sender=Message.mentions.through, dispatch_uid="notifications.mentioned_people")
def mentioned_people(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "post_add" and not reverse and pk_set:
        mentioned(instance, pk_set)
