"""Who a message addresses, for what reaches people later (emails, pushes, bots): those
it mentions in a room, the other participants of a direct conversation,
and those who follow every message of its room ("All messages",
preferences.py). Each of them is sent `message_addressed`; what reaches
them is decided later, by their levels (preferences.notified_by): the
email check here, a push to their devices (push/)."""

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import Signal, receiver

from rooms.models import Message

from .preferences import RoomPreference
from .tasks import addressed

# sender=Message, message, user_ids. Sent inside the message's transaction:
# receivers queue their work on commit.
message_addressed = Signal()


@receiver(m2m_changed, sender=Message.mentions.through, dispatch_uid="notifications.mentioned_people")
def mentioned_people(sender, instance, action, reverse, pk_set, **kwargs):
    # In a conversation every other participant is addressed already (below),
    # and nobody else may read it.
    if action == "post_add" and not reverse and pk_set and not instance.room.is_direct:
        message_addressed.send(Message, message=instance, user_ids=set(pk_set))


@receiver(post_save, sender=Message, dispatch_uid="notifications.direct_message_people")
def new_message_people(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    if instance.room.is_direct:
        people = set(instance.room.members.values_list("pk", flat=True))
    else:
        people = RoomPreference.objects.listening_to_everything(instance.room)
    if people:
        message_addressed.send(Message, message=instance, user_ids=people)


@receiver(message_addressed, dispatch_uid="notifications.email_later")
def email_later(sender, message, user_ids, **kwargs):
    addressed(message, user_ids)
