"""What calls a bot's webhook: being mentioned, or being sent a direct
message. The mentions a message gains when saved or edited
(Message.refresh_mentions) and a new message in a conversation are the
triggers, so the rooms app needs no knowledge of bots. And the rule that a
bot's rooms are rooms, however they are given to it."""

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from rooms.models import Message

from .models import Bot
from .tasks import notify_bots


@receiver(m2m_changed, sender=Bot.rooms.through, dispatch_uid="integrations.bot_rooms_only")
def bot_rooms_only(sender, instance, action, reverse, pk_set, **kwargs):
    # bot.rooms.add(room) and room.bots.add(bot) alike, from any caller.
    if action == "pre_add":
        Bot.check_rooms([instance.pk] if reverse else pk_set)


@receiver(m2m_changed, sender=Message.mentions.through, dispatch_uid="integrations.mentioned_bots")
def mentioned_bots(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "post_add" and not reverse and pk_set:
        notify_bots(instance, pk_set, event="mention")


@receiver(post_save, sender=Message, dispatch_uid="integrations.direct_message_to_bots")
def direct_message_to_bots(sender, instance, created, raw=False, **kwargs):
    # Only a new message: an edit of a direct message does not ask again.
    # A mention in a conversation calls nobody twice: mentions reach only
    # the bots of rooms staff gave them (notify_bots), never a conversation.
    if created and not raw and instance.room.is_direct:
        notify_bots(instance, instance.room.members.values_list("pk", flat=True), event="direct_message")
