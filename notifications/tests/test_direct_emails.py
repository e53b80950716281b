"""Direct messages left unread are emailed like mentions: after the delay,
with a working /dm/ link, in the same batched email (one per person per
interval), none once read and none when turned off."""

from datetime import timedelta

import pytest

from notifications.models import NotificationSettings
from rooms.models import Message, ReadMark, conversation_between


@pytest.fixture
def conversation(alice_with_email, bob):
    return conversation_between(bob, [alice_with_email])[0]


def send(room, author, text, capture):
    with capture(execute=True):
        return Message.objects.post(room, author, text)


def bodies(email):
    return email.get_body(("plain",)).get_content(), email.get_body(("html",)).get_content()


def test_an_unread_direct_message_is_emailed_once_with_a_working_link(
    smtp_inbox, conversation, alice_with_email, bob, client, run_tasks, django_capture_on_commit_callbacks
):
    message = send(conversation, bob, "lunch <today>?", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    run_tasks(later=True)
    [email] = smtp_inbox.messages()
    assert email["To"] == "alice@example.com"
    assert email["Subject"] == "bob sent you a direct message"
    plain, html = bodies(email)
    link = f"https://chat.example.com/dm/{conversation.pk}/messages/{message.pk}/"
    assert link in plain and f'href="{link}"' in html
    assert "bob in a direct message" in plain and "lunch <today>?" in plain and "&lt;today&gt;" in html
    client.force_login(alice_with_email)
    page = client.get(link.removeprefix("https://chat.example.com"), follow=True)
    assert page.status_code == 200 and "lunch &lt;today&gt;?" in page.content.decode()


def test_a_direct_message_read_in_time_is_not_emailed(
    smtp_inbox, conversation, alice_with_email, bob, run_tasks, django_capture_on_commit_callbacks
):
    message = send(conversation, bob, "lunch?", django_capture_on_commit_callbacks)
    ReadMark.objects.mark_read(alice_with_email, conversation, message.pk)
    run_tasks(later=True)
    assert smtp_inbox.messages() == []


def test_no_email_when_turned_off_nor_for_ones_own_direct_message(
    smtp_inbox, conversation, alice_with_email, bob, run_tasks, django_capture_on_commit_callbacks
):
    bob.email = "bob@example.com"
    bob.save()
    NotificationSettings.objects.for_user(alice_with_email)
    NotificationSettings.objects.filter(user=alice_with_email).update(email_unread_mentions_and_dms=False)
    send(conversation, bob, "lunch?", django_capture_on_commit_callbacks)
    # Bob's own message is not emailed to him, read or not.
    run_tasks(later=True)
    assert smtp_inbox.messages() == []


def test_direct_messages_and_mentions_share_one_email_per_interval(
    smtp_inbox, conversation, alice_with_email, bob, lobby, run_tasks, django_capture_on_commit_callbacks
):
    send(lobby, bob, "@alice the deploy", django_capture_on_commit_callbacks)
    send(conversation, bob, "lunch?", django_capture_on_commit_callbacks)
    send(conversation, bob, "@alice lunch??", django_capture_on_commit_callbacks)
    run_tasks()
    run_tasks()
    [first] = smtp_inbox.messages()
    assert first["Subject"] == "3 unread mentions in Lobby and direct messages from bob"
    plain = bodies(first)[0]
    assert plain.count("https://chat.example.com/") >= 3
    assert "@alice the deploy" in plain and "lunch?" in plain and plain.count("@alice lunch??") == 1
    # Within the 15 minutes: held back, whatever their kind.
    send(conversation, bob, "still there?", django_capture_on_commit_callbacks)
    send(lobby, bob, "@alice ping", django_capture_on_commit_callbacks)
    run_tasks()
    assert len(smtp_inbox.messages()) == 1
    prefs = NotificationSettings.objects.get(user=alice_with_email)
    NotificationSettings.objects.filter(pk=prefs.pk).update(
        last_emailed_at=prefs.last_emailed_at - timedelta(minutes=16)
    )
    run_tasks(later=True)
    run_tasks(later=True)
    first, second = smtp_inbox.messages()
    plain = bodies(second)[0]
    assert "still there?" in plain and "@alice ping" in plain and "lunch?" not in plain
