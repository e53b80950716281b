"""The worker's side of bots: calling their webhooks."""

import http.client

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.tasks import GiveUp, retrying_task

from . import webhooks
from .models import Delivery

# 3 retries with backoff after the first attempt (docs/bots-api.md).
WEBHOOK_RETRIES = 3


class DeliveryFailed(Exception):
    """This attempt failed; the task retries it."""


@retrying_task(retries=WEBHOOK_RETRIES)
def deliver_webhook(delivery_id, attempt=1):
    """POST the message to the bot's URL, signed; post its answer as the bot."""
    delivery = (
        Delivery.objects.select_related("bot__user", "message__room", "message__author").filter(pk=delivery_id).first()
    )
    if delivery is None or delivery.status != Delivery.PENDING:
        raise GiveUp(f"delivery {delivery_id} is gone or finished")
    bot, message = delivery.bot, delivery.message
    delivery.attempts = attempt

    def finish(status, error=""):
        delivery.status, delivery.last_error = status, error
        delivery.save()

    if message is None:
        finish(Delivery.FAILED, "The message was deleted before it could be sent.")
        raise GiveUp(delivery.last_error)
    token = bot.signing_token()
    if not bot.is_active or token is None:
        finish(
            Delivery.FAILED, "The bot's token was revoked, or SECRET_KEY changed since it was issued: issue a new one."
        )
        raise GiveUp(delivery.last_error)
    body = webhooks.encode(
        webhooks.payload(bot, message, delivery.event, settings.CHAT_BASE_URL + message.get_absolute_url())
    )
    try:
        status, content_type, answer = webhooks.post(
            delivery.url, body, token, timeout=settings.CHAT_WEBHOOK_TIMEOUT_SECONDS
        )
    except webhooks.RefusedURL as error:
        finish(Delivery.REFUSED, str(error))
        raise GiveUp(str(error)) from None
    except (OSError, http.client.HTTPException) as error:
        _failed(delivery, attempt, f"{type(error).__name__}: {error}")
    delivery.response_status = status
    if not 200 <= status < 300:
        _failed(delivery, attempt, f"HTTP {status}: {answer[:200].decode('utf-8', 'replace')}")
    text = webhooks.reply_text(content_type, answer)
    error = ""
    # The answer and the delivery's record commit together: nobody sees the
    # bot's answer in the room while its delivery still says "pending".
    with transaction.atomic():
        if text is not None:
            try:
                delivery.reply = bot.post(message.room, text)
            except (ValidationError, PermissionDenied) as refusal:
                # The call worked; only the answer was refused: retrying would not change it.
                error = "The answer was not posted: " + "; ".join(getattr(refusal, "messages", [str(refusal)]))
        finish(Delivery.DELIVERED, error)
    return {"status": status, "reply": delivery.reply_id}


def _failed(delivery, attempt, error):
    """Record a failed attempt; the last one leaves the delivery failed."""
    delivery.last_error = error
    if attempt > WEBHOOK_RETRIES:
        delivery.status = Delivery.FAILED
    delivery.save()
    raise DeliveryFailed(error)


def notify_bots(message, bot_users, event="mention"):
    """Queue a webhook call to each bot among `bot_users` that has a URL.

    The hook for what addresses a bot: mentions call it (signals.py); direct
    messages to a bot call it with event="direct_message". Bots' own
    messages never call other bots, so two bots cannot answer each other forever.
    Call inside the transaction that saved the message: the calls are queued after commit.
    """
    from .models import Bot

    if message.author_id is None or Bot.objects.filter(user_id=message.author_id).exists():
        return []
    bots = Bot.objects.filter(user__in=bot_users, revoked_at__isnull=True).exclude(webhook_url="")
    if event == "mention":
        # A bot hears of the rooms staff gave it, not of every public room it can read.
        bots = bots.filter(rooms=message.room_id)
    deliveries = [Delivery.objects.create(bot=bot, message=message, event=event, url=bot.webhook_url) for bot in bots]
    for delivery in deliveries:
        transaction.on_commit(lambda pk=delivery.pk: deliver_webhook.enqueue(pk), robust=True)
    return deliveries
