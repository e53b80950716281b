"""A new address receives its confirmation link and nothing else until the
link is opened; the link works signed out and in another browser, asks
before confirming (mail scanners open links), expires, and stops working
when the address changes again. "Send again" cannot mail anyone much."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from notifications.models import CONFIRMATIONS_PER_DAY, NotificationSettings
from rooms.models import Message

BASE = "https://chat.example.com"


def mention(room, author, text, capture):
    with capture(execute=True):
        return Message.objects.post(room, author, text)


def confirmation_link(email):
    plain = email.get_body(("plain",)).get_content()
    [link] = re.findall(re.escape(BASE) + r"/settings/email/confirm/[^/\s]+/", plain)
    assert f'href="{link}"' in email.get_body(("html",)).get_content()
    return link.removeprefix(BASE)


def signed_in(user):
    browser = Client()
    browser.force_login(user)
    return browser


def set_address(browser, address):
    answer = browser.post("/settings/", {"email": address, "email_unread_mentions_and_dms": "on"}, follow=True)
    return answer.content.decode()


def csrf_token(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_a_new_address_gets_only_its_confirmation_link_until_it_is_confirmed(
    smtp_inbox, alice, bob, lobby, run_tasks, django_capture_on_commit_callbacks
):
    alice_browser = signed_in(alice)
    with django_capture_on_commit_callbacks(execute=True):
        set_address(alice_browser, "alice@example.com")
    page = alice_browser.get("/settings/").content.decode()
    assert "is waiting for confirmation (sent to alice@example.com" in page and "Send again" in page
    mention(lobby, bob, "@alice before confirming", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    run_tasks(later=True)
    [email] = smtp_inbox.messages()
    assert email["To"] == "alice@example.com"
    assert email["Subject"] == "Confirm your email address for chat.example.com"
    assert "before confirming" not in email.get_body(("plain",)).get_content()
    link = confirmation_link(email)

    # Opened in another browser, signed out, with CSRF checks as in production.
    elsewhere = Client(enforce_csrf_checks=True)
    shown = elsewhere.get(link).content.decode()
    assert "Confirm your email address" in shown and "alice@example.com" in shown and ">Confirm</button>" in shown
    # Opening the link (a mail scanner does) confirms nothing.
    assert not NotificationSettings.objects.get(user=alice).email_confirmed
    done = elsewhere.post(link, {"csrfmiddlewaretoken": csrf_token(shown)}).content.decode()
    assert "Address confirmed" in done
    assert NotificationSettings.objects.get(user=alice).email_confirmed
    page = alice_browser.get("/settings/").content.decode()
    assert "Emails go to <strong>alice@example.com</strong> (confirmed)." in page and "Send again" not in page

    # Confirmed: unread mentions are emailed from now on (the earlier one too: it is still unread).
    mention(lobby, bob, "@alice after confirming", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    _confirmation, unread = smtp_inbox.messages()
    assert unread["To"] == "alice@example.com" and unread["Subject"] == "2 unread mentions in Lobby"


def test_an_address_set_elsewhere_or_stored_before_confirmations_gets_no_email(
    smtp_inbox, alice, bob, lobby, client, run_tasks, django_capture_on_commit_callbacks
):
    # As the admin or an older version stored it: an address nobody confirmed.
    alice.email = "alice@example.com"
    alice.save()
    mention(lobby, bob, "@alice look", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    assert smtp_inbox.messages() == []
    client.force_login(alice)
    page = client.get("/settings/").content.decode()
    assert "<strong>alice@example.com</strong> is not confirmed yet" in page
    assert "Send a confirmation link" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/settings/email/send-confirmation/")
    run_tasks()
    [email] = smtp_inbox.messages()
    assert email["Subject"] == "Confirm your email address for chat.example.com"


def test_a_link_stops_working_when_the_address_changes_again(
    smtp_inbox, alice, run_tasks, django_capture_on_commit_callbacks
):
    browser = signed_in(alice)
    with django_capture_on_commit_callbacks(execute=True):
        set_address(browser, "old@example.com")
    run_tasks()
    old_link = confirmation_link(smtp_inbox.messages()[0])
    with django_capture_on_commit_callbacks(execute=True):
        set_address(browser, "new@example.com")
    refused = Client().post(old_link)
    assert refused.status_code == 400
    assert "no longer set for emails" in refused.content.decode()
    assert not NotificationSettings.objects.get(user=alice).email_confirmed
    # A confirmation still queued for the old address is not sent either.
    from notifications.tasks import email_confirmation

    with django_capture_on_commit_callbacks(execute=True):
        email_confirmation.enqueue(alice.pk, "old@example.com")
    run_tasks(later=True)
    assert [email["To"] for email in smtp_inbox.messages()] == ["old@example.com", "new@example.com"]


def test_a_link_expires_after_three_days(smtp_inbox, alice, monkeypatch):
    alice.email = "alice@example.com"
    alice.save()
    prefs = NotificationSettings.objects.for_user(alice)
    # A link made three days and a minute ago.
    made_at = timezone.now() - timedelta(days=3, minutes=1)
    monkeypatch.setattr(signing.time, "time", made_at.timestamp)
    link = prefs.confirmation_url().removeprefix(BASE)
    monkeypatch.undo()
    refused = Client().get(link)
    assert refused.status_code == 400 and "This link has expired" in refused.content.decode()
    assert Client().post(link).status_code == 400
    assert not NotificationSettings.objects.get(user=alice).email_confirmed
    assert Client().get(prefs.confirmation_url().removeprefix(BASE)).status_code == 200
    mangled = prefs.confirmation_url().removeprefix(BASE)[:-5] + "xxxx/"
    assert "cut short by the mail program" in Client().get(mangled).content.decode()


def test_send_again_is_rate_limited(smtp_inbox, alice, run_tasks, django_capture_on_commit_callbacks):
    browser = signed_in(alice)
    prefs = NotificationSettings.objects.for_user(alice)

    def send_again():
        with django_capture_on_commit_callbacks(execute=True):
            return browser.post("/settings/email/send-confirmation/", follow=True).content.decode()

    def a_minute_passes():
        NotificationSettings.objects.filter(pk=prefs.pk).update(
            confirmation_sent_at=NotificationSettings.objects.get(pk=prefs.pk).confirmation_sent_at
            - timedelta(minutes=1, seconds=1)
        )

    assert "There is no address waiting for confirmation." in send_again()
    with django_capture_on_commit_callbacks(execute=True):
        set_address(browser, "alice@example.com")
    assert "No confirmation link was sent now" in send_again()
    for _ in range(CONFIRMATIONS_PER_DAY - 1):
        a_minute_passes()
        assert "A new confirmation link is on its way to alice@example.com." in send_again()
    run_tasks()
    assert [email["To"] for email in smtp_inbox.messages()] == ["alice@example.com"] * CONFIRMATIONS_PER_DAY
    a_minute_passes()
    # Five went out: none more before a day has passed, not even to a new address.
    assert "No confirmation link was sent now" in send_again()
    paused = set_address(browser, "victim@example.com")
    assert "Saved. No confirmation link was sent now" in paused
    NotificationSettings.objects.filter(pk=prefs.pk).update(
        confirmation_sent_at=timezone.now() - timedelta(days=1, seconds=1)
    )
    assert "A new confirmation link is on its way to victim@example.com." in send_again()
    run_tasks()
    assert smtp_inbox.messages()[-1]["To"] == "victim@example.com"


def test_only_the_owner_presses_send_again(client, alice):
    assert client.post("/settings/email/send-confirmation/").status_code == 302  # to the login page
    client.force_login(alice)
    assert client.get("/settings/email/send-confirmation/").status_code == 405


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (900, "At most one email every 15 minutes"),
        (3600, "At most one email every hour"),
        (7200, "At most one email every 2 hours"),
        (5400, "At most one email every 90 minutes"),
        (86400, "At most one email every day"),
        (45, "At most one email every 45 seconds"),
        (0, "An email as soon as messages are due"),
    ],
)
def test_the_interval_is_said_in_words(seconds, words):
    from notifications.models import pace_in_words

    assert pace_in_words(seconds) == words
