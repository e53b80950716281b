"""A message that addresses people (notifications/signals.py) is pushed by
the worker, to those it reaches who are not looking (tasks.py). Its
transaction may address people twice (a direct conversation's participants
when it is saved, then those it mentions): one task gets them all."""

import logging

from django.db import transaction
from django.dispatch import receiver

from notifications.signals import message_addressed
from realtime import visibility

from . import vapid
from .models import PushSubscription
from .tasks import push_message

log = logging.getLogger(__name__)


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
    """After commit: one task for the people addressed who have a device at
    all and no chat page on screen now. Whoever looks as the message is saved
    sees it arrive: asking only in the worker, a moment later, would push it
    to someone who looked away meanwhile. (The worker asks again, for those
    who come back before it runs.)"""
    people = message.__dict__.pop("_push_people", set()) - {message.author_id}
    if not (people and PushSubscription.objects.current().filter(user_id__in=people).exists()):
        return
    try:
        people -= visibility.record().looking(people)
    except Exception:  # Redis away: the worker decides alone
        log.warning("could not tell who is looking; the worker will", exc_info=True)
    if people:
        push_message.enqueue(message.pk, sorted(people))
