"""The emails: unread mentions and direct messages (one per person per
interval, batched) and the link that confirms an address (the link that
sets a new password is accounts/passwords.py's).

Names reach the subject flattened to one line and cut short
(core/text.py): a room or person named with a line break or a NUL must
not make an email fail, nor add a header to it.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.links import absolute, site_name
from core.text import one_line

from .models import CONFIRMATION_MAX_AGE, MAX_LISTED, NotificationSettings, pace_in_words

# Characters of one name in a subject, and of the whole subject: mail
# programs show about 60-80; the rest only makes the header longer.
NAME_LIMIT = 40
SUBJECT_LIMIT = 150


def send_unread(user_id, now=None):
    """Email `user_id` their unread mentions and direct messages if any are due and the interval
    allows; returns what happened (for the task result). When the interval
    does not allow it yet, returns the time to try again."""
    now = now or timezone.now()
    with transaction.atomic():
        prefs = NotificationSettings.objects.select_for_update().select_related("user").filter(user_id=user_id).first()
        if prefs is None or not prefs.wants_email:
            return {"sent": 0, "why": "email off or no address"}
        due = prefs.unread_to_email(now)
        messages = list(due[:MAX_LISTED])
        if not messages:
            return {"sent": 0, "why": "nothing unread"}
        allowed_at = prefs.next_email_allowed_at()
        if allowed_at is not None and now < allowed_at:
            return {"sent": 0, "retry_at": allowed_at}
        total = due.count() if len(messages) == MAX_LISTED else len(messages)
        # Inside the lock: a second worker waits, then finds them emailed.
        build(prefs, messages, more=total - len(messages)).send()
        prefs.last_emailed_at = now
        prefs.emailed_through = due.order_by("-pk").values_list("pk", flat=True).first()
        prefs.save(update_fields=["last_emailed_at", "emailed_through"])
        return {"sent": total}


def subject_for(messages, count):
    """ "bob mentioned you in Lobby", "bob sent you a direct message", "bob
    wrote in Lobby" (a room on "All messages"), or a count and where they
    are: the rooms of the mentions and other messages, the senders of
    direct messages."""
    if count == 1:
        first = messages[0]
        if first.room.is_direct:
            return one_line(f"{name(first.author_name)} sent you a direct message", SUBJECT_LIMIT)
        verb = "mentioned you in" if first.mentions_reader else "wrote in"
        return one_line(f"{name(first.author_name)} {verb} {name(first.room.name)}", SUBJECT_LIMIT)
    mentions = sorted({name(m.room.name) for m in messages if not m.room.is_direct and m.mentions_reader})
    others = sorted({name(m.room.name) for m in messages if not m.room.is_direct and not m.mentions_reader})
    senders = sorted({name(m.author_name) for m in messages if m.room.is_direct})
    places = [
        f"{what} {', '.join(names[:3])}{' and more' if len(names) > 3 else ''}"
        for what, names in (("mentions in", mentions), ("messages in", others), ("direct messages from", senders))
        if names
    ]
    return one_line(f"{count} unread {' and '.join(places)}" if places else f"{count} unread messages", SUBJECT_LIMIT)


def name(text):
    """A room's or person's name as a subject shows it: one line, at most NAME_LIMIT characters."""
    return one_line(text, NAME_LIMIT)


def intro_for(messages, count):
    if count == 1:
        if messages[0].room.is_direct:
            return "You have a direct message you have not read yet:"
        if messages[0].mentions_reader:
            return "You were mentioned and have not read it yet:"
        return "A message you have not read yet, in a room you follow:"
    if any(not m.room.is_direct and not m.mentions_reader for m in messages):
        return f"You have {count} messages you have not read yet:"
    if any(m.room.is_direct for m in messages):
        return f"You have {count} mentions and direct messages you have not read yet:"
    return f"You were mentioned {count} times and have not read them yet:"


def build(prefs, messages, more=0):
    count = len(messages) + more
    context = {
        "user": prefs.user,
        "items": [
            {
                "message": m,
                "where": "a direct message" if m.room.is_direct else f"#{m.room.slug}",
                "url": absolute(m.get_absolute_url()),
            }
            for m in messages
        ],
        "more": more,
        "settings_url": absolute(reverse("notifications:settings")),
        "unsubscribe_url": prefs.unsubscribe_url(),
        "pace": pace_in_words(),
    }
    subject = subject_for(messages, count)
    context["intro"] = intro_for(messages, count)
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


def send_confirmation(user_id, address):
    """Email the link confirming `address`, if it is still the user's address
    and not confirmed yet (it may have changed while the task waited)."""
    prefs = NotificationSettings.objects.select_related("user").filter(user_id=user_id).first()
    if prefs is None or not prefs.user.is_active or prefs.user.email != address or not prefs.awaiting_confirmation:
        return {"sent": 0, "why": "the address changed or was confirmed meanwhile"}
    confirmation(prefs).send()
    return {"sent": 1}


def confirmation(prefs):
    context = {
        "user": prefs.user,
        "address": prefs.user.email,
        "site": site_name(),
        "confirm_url": prefs.confirmation_url(),
        "days": CONFIRMATION_MAX_AGE.days,
        "settings_url": absolute(reverse("notifications:settings")),
    }
    email = EmailMultiAlternatives(
        subject=one_line(f"Confirm your email address for {context['site']}", SUBJECT_LIMIT),
        body=render_to_string("notifications/confirm_address.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[prefs.user.email],
    )
    email.attach_alternative(render_to_string("notifications/confirm_address.html", context), "text/html")
    return email
