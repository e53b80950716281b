"""What an email is built from cannot break it: a room or person named with
line breaks or other control characters still gets a delivered email with
a one-line subject (and adds no header); links are absolute or the email is
not sent; the interval is said as CHAT_EMAIL_INTERVAL_SECONDS sets it."""

import unicodedata

from django.db import connection
from django_tasks_db.models import DBTaskResult

from notifications.models import NotificationSettings
from rooms.models import Message, Room, conversation_between

# Every kind that broke a header: CR, LF, CRLF, vertical tab, form feed,
# ESC, DEL, NEL (C1), the Unicode line separator, and NUL where the
# database can store it (PostgreSQL refuses NUL in text altogether).
CONTROLS = "\r\n\x0b\x0c\x1b\x7f\x85\u2028" + ("\x00" if connection.vendor == "sqlite" else "")


def send(room, author, text, capture):
    with capture(execute=True):
        return Message.objects.post(room, author, text)


def assert_one_clean_line(subject):
    assert subject == subject.strip()
    assert not [c for c in subject if unicodedata.category(c) in {"Cc", "Zl", "Zp"}], repr(subject)


def test_names_with_control_characters_give_a_delivered_email_with_a_one_line_subject(
    smtp_inbox, alice_with_email, django_user_model, run_tasks, django_capture_on_commit_callbacks
):
    # Stored as a shell or an older version could store them: no validation on the way in.
    room = Room.objects.create(name=f"Ops{CONTROLS}Bcc: victim@example.com", slug="ops")
    mallory = django_user_model.objects.create_user(f"mal{CONTROLS}lory")
    send(room, mallory, "@alice look", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    [envelope] = smtp_inbox.envelopes
    assert envelope.rcpt_tos == ["alice@example.com"]  # no header, no recipient added
    [email] = smtp_inbox.messages()
    assert email["Subject"] == "mal lory mentioned you in Ops Bcc: victim@example.com"
    assert email["Bcc"] is None
    assert_one_clean_line(email["Subject"])
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()  # sent the first time


def test_direct_messages_from_such_a_name_and_long_names_give_a_bounded_subject(
    smtp_inbox, alice_with_email, django_user_model, run_tasks, django_capture_on_commit_callbacks
):
    mallory = django_user_model.objects.create_user(f"mal{CONTROLS}lory")
    conversation = conversation_between(mallory, [alice_with_email])[0]
    send(conversation, mallory, "psst", django_capture_on_commit_callbacks)
    long_room = Room.objects.create(name="An unusually long room name that goes on" * 2, slug="long")
    send(long_room, mallory, "@alice here too", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    [email] = smtp_inbox.messages()
    subject = email["Subject"]
    assert_one_clean_line(subject)
    # (Python's folding of a long header can leave two spaces where it folded.)
    assert " ".join(subject.split()) == (
        "2 unread mentions in An unusually long room name that goes o… and direct messages from mal lory"
    )


def test_links_are_absolute_and_the_interval_is_said_in_words(
    smtp_inbox, settings, alice_with_email, bob, lobby, client, run_tasks, django_capture_on_commit_callbacks
):
    settings.CHAT_EMAIL_INTERVAL_SECONDS = 3600
    send(lobby, bob, "@alice look", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    [email] = smtp_inbox.messages()
    plain, html = email.get_body(("plain",)).get_content(), email.get_body(("html",)).get_content()
    assert "At most one email every hour." in plain and "At most one email every hour." in html
    assert "15 minutes" not in plain + html
    assert "Settings: https://chat.example.com/settings/" in plain
    assert 'href="/' not in html and "\n/" not in plain  # no bare path anywhere
    client.force_login(alice_with_email)
    page = client.get("/settings/").content.decode()
    assert "At most one email every hour, with a link to each message." in page


def test_without_a_base_url_nothing_is_sent_and_the_reason_is_in_the_failed_task(
    smtp_inbox, settings, alice_with_email, bob, lobby, run_tasks, django_capture_on_commit_callbacks
):
    settings.CHAT_BASE_URL = ""
    send(lobby, bob, "@alice look", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    run_tasks(later=True)
    assert smtp_inbox.messages() == []
    # Failed once, with the reason, and not retried: waiting does not set it.
    [result] = DBTaskResult.objects.filter(task_path="notifications.tasks.email_unread_mentions_and_dms")
    assert result.status == "FAILED" and "CHAT_BASE_URL is unset" in result.traceback
    # Nothing was marked as emailed: set the base URL and the next check sends it.
    assert NotificationSettings.objects.get(user=alice_with_email).emailed_through == 0
