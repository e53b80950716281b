"""The worker's side of email: a check per mention or direct message, after
the delay, and the links that confirm an address."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.tasks import retrying_task

from . import emails
from .models import NotificationSettings
from .preferences import notified_by


@retrying_task(retries=3)
def email_unread_mentions_and_dms(user_id, attempt=1):
    """Email the user's due unread mentions and direct messages (SMTP errors are retried); when
    the pause between emails (CHAT_EMAIL_INTERVAL_SECONDS) holds them back,
    one check is queued for its end."""
    outcome = emails.send_unread(user_id)
    if "retry_at" in outcome:
        queue_check(user_id, outcome["retry_at"])
        outcome["retry_at"] = outcome["retry_at"].isoformat()
    return outcome


@retrying_task(retries=3)
def email_confirmation(user_id, address, attempt=1):
    """Send the link confirming `address`, unless it is no longer the user's
    address or is confirmed already (the settings changed while this waited)."""
    return emails.send_confirmation(user_id, address)


def queue_check(user_id, when):
    """Queue a check at `when` unless one is queued for then already (messages
    that arrive during a pause share it)."""
    if (
        NotificationSettings.objects.filter(user_id=user_id)
        .exclude(check_queued_for=when)
        .update(check_queued_for=when)
    ):
        email_unread_mentions_and_dms.using(run_after=when).enqueue(user_id)


def addressed(message, user_ids):
    """After the message's transaction commits: a check for each person it
    addresses (signals.py) whom it reaches by their level in its room
    (preferences.notified_by) and who wants email at a confirmed address,
    CHAT_EMAIL_DELAY_SECONDS later (if they read it by then, the check
    finds nothing)."""
    from django.contrib.auth import get_user_model

    people = (
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True, bot__isnull=True)
        .exclude(email="")
        .exclude(pk=message.author_id)
        .filter(
            notification_settings__email_unread_mentions_and_dms=True,
            notification_settings__confirmed_email=F("email"),
        )
    )

    def queue():
        when = timezone.now() + timedelta(seconds=settings.CHAT_EMAIL_DELAY_SECONDS)
        for user_id in sorted(notified_by(message, people.values_list("pk", flat=True))):
            email_unread_mentions_and_dms.using(run_after=when).enqueue(user_id)

    transaction.on_commit(queue, robust=True)
