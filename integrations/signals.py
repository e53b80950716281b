"""Mentions of a bot call its webhook: the mentions a message gains when
saved or edited (Message.refresh_mentions) are the trigger, so the rooms
app needs no knowledge of bots."""

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from rooms.models import Message

from .tasks import notify_bots


@receiver(m2m_changed, sender=Message.mentions.through, dispatch_uid="integrations.mentioned_bots")
def mentioned_bots(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "post_add" and not reverse and pk_set:
        notify_bots(instance, pk_set, event="mention")
