"""Emails about unread mentions, received by a real SMTP server: after the
delay, batched to one per person per interval, none once read, with
absolute links and a one-click way out."""

from datetime import timedelta

from notifications.models import NotificationSettings
from rooms.models import Message, ReadMark


def mention(room, author, text, capture):
    with capture(execute=True):
        return Message.objects.post(room, author, text)


def bodies(email):
    return email.get_body(("plain",)).get_content(), email.get_body(("html",)).get_content()


def test_an_unread_mention_is_emailed_once_with_links_and_a_way_out(
    smtp_inbox, alice_with_email, bob, lobby, run_tasks, django_capture_on_commit_callbacks
):
    message = mention(lobby, bob, "@alice can you look at <the deploy>?", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    run_tasks(later=True)
    [email] = smtp_inbox.messages()
    assert email["To"] == "alice@example.com"
    assert email["Subject"] == "bob mentioned you in Lobby"
    plain, html = bodies(email)
    link = f"https://chat.example.com/rooms/lobby/messages/{message.pk}/"
    assert link in plain and f'href="{link}"' in html
    assert "@alice can you look at <the deploy>?" in plain
    assert "&lt;the deploy&gt;" in html and "<the deploy>" not in html
    unsubscribe = NotificationSettings.objects.get(user=alice_with_email).unsubscribe_url()
    assert unsubscribe.startswith("https://chat.example.com/settings/unsubscribe/")
    assert unsubscribe in plain and email["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_mention_read_in_time_is_not_emailed(
    smtp_inbox, alice_with_email, bob, lobby, run_tasks, django_capture_on_commit_callbacks
):
    message = mention(lobby, bob, "@alice look", django_capture_on_commit_callbacks)
    ReadMark.objects.mark_read(alice_with_email, lobby, message.pk)
    run_tasks(later=True)
    assert smtp_inbox.messages() == []


def test_mentions_are_batched_to_one_email_per_interval(
    smtp_inbox, alice_with_email, bob, lobby, run_tasks, django_capture_on_commit_callbacks
):
    mention(lobby, bob, "@alice one", django_capture_on_commit_callbacks)
    mention(lobby, bob, "@alice two", django_capture_on_commit_callbacks)
    run_tasks()
    [first] = smtp_inbox.messages()
    assert first["Subject"] == "2 unread mentions in Lobby"
    assert "@alice one" in bodies(first)[0] and "@alice two" in bodies(first)[0]
    # Within the 15 minutes: held back, whatever the number of mentions.
    for text in ["@alice three", "@alice four"]:
        mention(lobby, bob, text, django_capture_on_commit_callbacks)
    run_tasks()
    assert len(smtp_inbox.messages()) == 1
    prefs = NotificationSettings.objects.get(user=alice_with_email)
    assert prefs.check_queued_for == prefs.last_emailed_at + timedelta(seconds=900)
    # The pause ends: the one queued check sends one email with both.
    NotificationSettings.objects.filter(pk=prefs.pk).update(last_emailed_at=prefs.last_emailed_at - timedelta(minutes=16))
    run_tasks(later=True)
    run_tasks(later=True)
    first, second = smtp_inbox.messages()
    plain = bodies(second)[0]
    assert "@alice three" in plain and "@alice four" in plain and "@alice one" not in plain


def test_no_email_without_an_address_when_turned_off_or_for_ones_own_mention(
    smtp_inbox, alice, bob, lobby, run_tasks, django_capture_on_commit_callbacks
):
    mention(lobby, bob, "@alice no address", django_capture_on_commit_callbacks)
    bob.email = "bob@example.com"
    bob.save()
    mention(lobby, bob, "@bob talking to myself", django_capture_on_commit_callbacks)
    NotificationSettings.objects.for_user(alice)
    NotificationSettings.objects.filter(user=alice).update(email_mentions=False)
    alice.email = "alice@example.com"
    alice.save()
    mention(lobby, bob, "@alice turned off", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    assert smtp_inbox.messages() == []


def test_an_smtp_failure_is_retried(
    smtp_inbox, alice_with_email, bob, lobby, run_tasks, django_capture_on_commit_callbacks, settings
):
    working = settings.MAILERS
    from conftest import free_port

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2}}}
    mention(lobby, bob, "@alice look", django_capture_on_commit_callbacks)
    run_tasks()
    assert smtp_inbox.messages() == []
    settings.MAILERS = working
    run_tasks(later=True)
    assert len(smtp_inbox.messages()) == 1


def test_the_unsubscribe_link_turns_emails_off_in_one_click(client, alice_with_email):
    prefs = NotificationSettings.objects.for_user(alice_with_email)
    response = client.get(prefs.unsubscribe_url().removeprefix("https://chat.example.com"))
    assert response.status_code == 200 and "Emails are off" in response.content.decode()
    prefs.refresh_from_db()
    assert not prefs.email_mentions
    # The mail client's one-click POST (RFC 8058) works without a session or CSRF token.
    prefs.email_mentions = True
    prefs.save()
    assert client.post(prefs.unsubscribe_url().removeprefix("https://chat.example.com")).status_code == 200
    prefs.refresh_from_db()
    assert not prefs.email_mentions
    assert client.get("/settings/unsubscribe/forged:token/").status_code == 400


def test_settings_page_sets_the_address_and_the_choice(client, alice):
    assert client.get("/settings/").status_code == 302  # signed-in users only
    client.force_login(alice)
    page = client.get("/settings/").content.decode()
    assert 'name="email"' in page and 'name="email_mentions"' in page and "checked" in page
    response = client.post("/settings/", {"email": "alice@example.com"}, follow=True)
    assert "Saved." in response.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert not NotificationSettings.objects.get(user=alice).email_mentions
    assert "Enter a valid email address" in client.post("/settings/", {"email": "not-an-address"}).content.decode()
