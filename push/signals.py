"""A message that addresses people (notifications/signals.py) is pushed by
the worker, to those it reaches who are not looking (tasks.py). Its
transaction may address people twice (a direct conversation's participants
when it is saved, then those it mentions): one task gets them all."""

from django.db import transaction
from django.dispatch import receiver

from notifications.signals import message_addressed

from . import vapid
from .models import PushSubscription
from .tasks import push_message


@receiver(message_addressed, dispatch_uid="push.addressed")
def push_soon(sender, message, user_ids, **kwargs):
    if not vapid.configured():
        return
    pending = message.__dict__.get("_push_people")
    if pending is None:
        pending = message.__dict__["_push_people"] = set()
        transaction.on_commit(lambda: queue(message), robust=True)
    pending.update(user_ids)


def queue(message):
    """After commit: one task for the people addressed who have a device at all."""
    people = message.__dict__.pop("_push_people", set()) - {message.author_id}
    if people and PushSubscription.objects.current().filter(user_id__in=people).exists():
        push_message.enqueue(message.pk, sorted(people))
