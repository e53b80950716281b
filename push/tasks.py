"""The worker's side of push: who a message is pushed to, and each push.

push_message runs within seconds of the message: of the people it
addresses (notifications/signals.py) it keeps those it reaches by their
level in its room (notifications/preferences.py) who may still read it and
have no chat page on screen (realtime/visibility.py: any tab, any device,
any process), and queues a push to each of their devices. deliver_push
sends one, retried like emails (core/tasks.py); a device whose
push service answers 404 or 410 has unsubscribed and is forgotten.
"""

import http.client

from django.utils import timezone

from core.tasks import GiveUp, retrying_task
from notifications.preferences import notified_by
from realtime import visibility
from rooms.models import Message

from . import sender, vapid
from .models import PushSubscription

# Push services' answers that retrying cannot mend: a body or key they
# refuse (400, 413), a VAPID signature they refuse (401, 403).
REFUSED = {400, 401, 403, 413}
GONE = {404, 410}


class PushFailed(Exception):
    """This attempt failed (push service busy or away); the task retries it."""


def people_to_push(message, user_ids):
    """Those among `user_ids` whom `message` is pushed to now."""
    readers = message.room.readers().filter(pk__in=user_ids, bot__isnull=True).values_list("pk", flat=True)
    reached = notified_by(message, readers)
    return reached - visibility.record().looking(reached)


@retrying_task(retries=3)
def push_message(message_id, user_ids, attempt=1):
    """Queue a push to each device of the people `message_id` reaches who are not looking."""
    message = Message.objects.select_related("room", "author").filter(pk=message_id).first()
    if message is None or not vapid.configured():
        return {"devices": 0, "why": "the message was deleted" if message is None else "push is off"}
    people = people_to_push(message, user_ids)
    devices = list(PushSubscription.objects.current().filter(user_id__in=people).values_list("pk", flat=True))
    for device in devices:
        deliver_push.enqueue(device, message.pk)
    return {"devices": len(devices), "people": sorted(people)}


@retrying_task(retries=3)
def deliver_push(subscription_id, message_id, attempt=1):
    """One push of `message_id` to one device."""
    subscription = PushSubscription.objects.select_related("user").filter(pk=subscription_id).first()
    message = Message.objects.select_related("room", "author").filter(pk=message_id).first()
    if subscription is None or message is None:
        return {"sent": 0, "why": "the device was removed" if subscription is None else "the message was deleted"}
    mentioned = message.mentions.filter(pk=subscription.user_id).exists()
    body = sender.encode(sender.payload(message, subscription.user, mentioned))
    try:
        answer = sender.send(subscription, body)
    except sender.UnresolvableEndpoint:
        raise  # DNS may answer on the next attempt
    except (sender.RefusedEndpoint, vapid.BadKeys) as refusal:
        raise GiveUp(str(refusal)) from None
    except (OSError, http.client.HTTPException) as error:
        raise PushFailed(f"{type(error).__name__}: {error}") from None
    if answer.status in GONE:
        # The browser unsubscribed, or its subscription expired.
        subscription.delete()
        return {"sent": 0, "why": f"HTTP {answer.status}: the subscription is gone, the device forgotten"}
    if answer.status in REFUSED:
        raise GiveUp(f"HTTP {answer.status}: {answer.body[:200].decode('utf-8', 'replace')}")
    if not 200 <= answer.status < 300:
        raise PushFailed(f"HTTP {answer.status}: {answer.body[:200].decode('utf-8', 'replace')}")
    PushSubscription.objects.filter(pk=subscription.pk).update(last_pushed_at=timezone.now())
    return {"sent": 1, "status": answer.status}
