"""The email about unread mentions: one per person per interval, batched."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import MAX_LISTED, NotificationSettings, absolute


def send_unread_mentions(user_id, now=None):
    """Email `user_id` their unread mentions if any are due and the interval
    allows; returns what happened (for the task result). When the interval
    does not allow it yet, returns the time to try again."""
    now = now or timezone.now()
    with transaction.atomic():
        prefs = NotificationSettings.objects.select_for_update().select_related("user").filter(user_id=user_id).first()
        if prefs is None or not prefs.wants_email:
            return {"sent": 0, "why": "email off or no address"}
        due = prefs.unread_mentions(now)
        mentions = list(due[:MAX_LISTED])
        if not mentions:
            return {"sent": 0, "why": "nothing unread"}
        allowed_at = prefs.next_email_allowed_at()
        if allowed_at is not None and now < allowed_at:
            return {"sent": 0, "retry_at": allowed_at}
        total = due.count() if len(mentions) == MAX_LISTED else len(mentions)
        # Inside the lock: a second worker waits, then finds them emailed.
        build(prefs, mentions, more=total - len(mentions)).send()
        prefs.last_emailed_at = now
        prefs.emailed_through = due.order_by("-pk").values_list("pk", flat=True).first()
        prefs.save(update_fields=["last_emailed_at", "emailed_through"])
        return {"sent": total}


def build(prefs, mentions, more=0):
    rooms = sorted({m.room.name for m in mentions})
    count = len(mentions) + more
    subject = (
        f"{mentions[0].author_name} mentioned you in {mentions[0].room.name}" if count == 1
        else f"{count} unread mentions in {', '.join(rooms[:3])}{' and more' if len(rooms) > 3 else ''}"
    )
    context = {
        "user": prefs.user,
        "items": [{"message": m, "url": absolute(m.get_absolute_url())} for m in mentions],
        "more": more,
        "settings_url": absolute(reverse("notifications:settings")),
        "unsubscribe_url": prefs.unsubscribe_url(),
    }
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/unread_mentions.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[prefs.user.email],
        headers={
            # RFC 8058: mail clients show an unsubscribe button that POSTs here.
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email.attach_alternative(render_to_string("notifications/unread_mentions.html", context), "text/html")
    return email
