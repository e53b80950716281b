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
    NotificationSettings.objects.filter(pk=prefs.pk).update(
        last_emailed_at=prefs.last_emailed_at - timedelta(minutes=16)
    )
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
    NotificationSettings.objects.filter(user=alice).update(email_unread_mentions_and_dms=False)
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

    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    mention(lobby, bob, "@alice look", django_capture_on_commit_callbacks)
    run_tasks()
    assert smtp_inbox.messages() == []
    settings.MAILERS = working
    run_tasks(later=True)
    assert len(smtp_inbox.messages()) == 1


def unsubscribe_path(user):
    return NotificationSettings.objects.for_user(user).unsubscribe_url().removeprefix("https://chat.example.com")


def test_opening_the_unsubscribe_link_only_shows_a_button_and_never_the_address(smtp_inbox, client, alice_with_email):
    # What a mail scanner does: follow the link.
    page = client.get(unsubscribe_path(alice_with_email))
    html = page.content.decode()
    assert page.status_code == 200 and "Stop these emails?" in html
    assert '<button type="submit" class="button">Turn emails off</button>' in html
    assert "alice@example.com" not in html and "alice" not in html.split("<main")[1]
    assert NotificationSettings.objects.get(user=alice_with_email).email_unread_mentions_and_dms
    # The button turns them off.
    done = client.post(unsubscribe_path(alice_with_email), {"List-Unsubscribe": "One-Click"}).content.decode()
    assert "Emails are off" in done and "alice@example.com" not in done
    assert not NotificationSettings.objects.get(user=alice_with_email).email_unread_mentions_and_dms


def test_a_mail_programs_one_click_post_turns_emails_off_without_cookie_or_csrf_token(smtp_inbox, alice_with_email):
    from django.test import Client

    # RFC 8058, as a mail program sends it: a POST to the List-Unsubscribe
    # URL, body "List-Unsubscribe=One-Click", no cookie, no CSRF token.
    mail_program = Client(enforce_csrf_checks=True)
    response = mail_program.post(
        unsubscribe_path(alice_with_email),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not NotificationSettings.objects.get(user=alice_with_email).email_unread_mentions_and_dms
    assert "alice@example.com" not in response.content.decode()
    for forged in (mail_program.get, mail_program.post):
        assert forged("/settings/unsubscribe/1:forged-signature/").status_code == 400
    assert mail_program.put(unsubscribe_path(alice_with_email)).status_code == 405


def test_settings_page_sets_the_address_and_the_choice(smtp_inbox, client, alice):
    assert client.get("/settings/").status_code == 302  # signed-in users only
    client.force_login(alice)
    page = client.get("/settings/").content.decode()
    assert 'name="email"' in page and 'name="email_unread_mentions_and_dms"' in page and "checked" in page
    assert "At most one email every 15 minutes, with a link to each message." in page
    response = client.post("/settings/", {"email": "alice@example.com"}, follow=True)
    assert "Saved. A confirmation link is on its way to alice@example.com" in response.content.decode()
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert not NotificationSettings.objects.get(user=alice).email_unread_mentions_and_dms
    assert "Enter a valid email address" in client.post("/settings/", {"email": "not-an-address"}).content.decode()
