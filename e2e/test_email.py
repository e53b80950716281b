"""Email for the away: a mention left unread reaches a real SMTP server as
exactly one email whose link opens the message, and whose unsubscribe link
asks before turning emails off; a mention read in a visible tab sends
nothing; /settings/ sets the address and the choice, and a new address is
confirmed from the link emailed to it, in another browser."""

import re
import time

import pytest

from e2e.conftest import (
    LIVE_TIMEOUT_MS,
    LOOKS,
    assert_accessible,
    assert_no_horizontal_scroll,
    message_with,
    open_room,
    send,
)

DELAY_SECONDS = 3


def confirmed(user, address):
    from notifications.models import NotificationSettings

    NotificationSettings.objects.for_user(user).confirm(address)
    return user


def wait_for_tasks(worker, server, timeout=30, task="notifications.tasks.email_unread_mentions_and_dms"):
    """Until the worker has run every task of that path queued so far."""
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    checks = DBTaskResult.objects.filter(task_path=task)
    while time.monotonic() < deadline:
        if checks.exists() and not checks.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists():
            return
        time.sleep(0.1)
    raise AssertionError(
        f"email checks still queued after {timeout} s: {list(checks.values_list('status', 'run_after'))}\n"
        f"worker log:\n{worker.log()[-3000:]}\nserver log:\n{server.log_path.read_text()[-3000:]}"
    )


def test_an_unread_mention_is_emailed_once_with_a_working_link_and_a_read_one_is_not(
    server_with, worker_with, private_redis, smtp_server, make_user, sign_in, browser
):
    # As in a deploy, the web process (which queues the checks) and the worker share one environment.
    env = {"EMAIL_URL": smtp_server.url, "CHAT_EMAIL_DELAY_SECONDS": str(DELAY_SECONDS)}
    srv = server_with(**env)
    worker = worker_with(REDIS_URL=private_redis.url, CHAT_BASE_URL=srv.url, **env)
    confirmed(make_user("alice", email="alice@example.com"), "alice@example.com")  # away
    confirmed(make_user("carol", email="carol@example.com"), "carol@example.com")  # reading, in a visible tab
    make_user("bob")
    carol = open_room(sign_in("carol", server=srv))
    bob = open_room(sign_in("bob", server=srv))
    send(bob, "@alice @carol the release notes need a look")
    message_with(carol, "the release notes need a look").wait_for(timeout=LIVE_TIMEOUT_MS)
    wait_for_tasks(worker, srv)

    [email] = smtp_server.messages()
    assert email["To"] == "alice@example.com"
    assert email["Subject"] == "bob mentioned you in Lobby"
    plain = email.get_body(("plain",)).get_content()
    from rooms.models import Message

    message = Message.objects.get()
    link = f"{srv.url}/rooms/lobby/messages/{message.pk}/"
    assert link in plain

    alice = sign_in("alice", server=srv).new_page()
    alice.goto(link)
    linked = alice.locator(f"#message-{message.pk}")
    linked.wait_for(timeout=LIVE_TIMEOUT_MS)
    assert "the release notes need a look" in linked.inner_text()

    # The unsubscribe link, opened where nobody is signed in, asks first and names nobody.
    from notifications.models import NotificationSettings

    unsubscribe = email["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(f"{srv.url}/settings/unsubscribe/") and unsubscribe in plain
    stranger = browser.new_context()
    try:
        page = stranger.new_page()
        page.goto(unsubscribe)
        page.get_by_role("heading", name="Stop these emails?").wait_for(timeout=LIVE_TIMEOUT_MS)
        assert "alice" not in page.locator("main").inner_text()
        assert NotificationSettings.objects.get(user__username="alice").email_unread_mentions_and_dms
        page.get_by_role("button", name="Turn emails off").click()
        page.get_by_role("heading", name="Emails are off").wait_for(timeout=LIVE_TIMEOUT_MS)
    finally:
        stranger.close()
    assert not NotificationSettings.objects.get(user__username="alice").email_unread_mentions_and_dms


@pytest.mark.parametrize("look", ["desktop", "phone"])
def test_settings_set_the_address_and_turn_emails_off(server, make_user, sign_in, look):
    from notifications.models import NotificationSettings

    user = make_user("dave")
    page = sign_in("dave", **LOOKS[look]).new_page()
    page.goto("/")
    page.get_by_role("link", name="Settings").click()
    page.wait_for_url(f"{server.url}/settings/")
    assert_accessible(page, f"settings ({look})")
    assert_no_horizontal_scroll(page)
    page.get_by_label("Email address").fill("dave@example.com")
    page.get_by_label("Email me about mentions and direct messages I have not read").uncheck()
    page.locator("#email-settings-section").get_by_role("button", name="Save").click()
    page.get_by_text("Saved. A confirmation link is on its way to dave@example.com").wait_for(timeout=LIVE_TIMEOUT_MS)
    assert "is waiting for confirmation (sent to dave@example.com" in page.locator("#email-status").inner_text()
    assert_accessible(page, f"settings, waiting for confirmation ({look})")
    assert_no_horizontal_scroll(page)
    user.refresh_from_db()
    assert user.email == "dave@example.com"
    assert not NotificationSettings.objects.get(user=user).email_unread_mentions_and_dms


def test_a_new_address_is_confirmed_from_the_emailed_link_in_another_browser(
    server_with, worker_with, private_redis, smtp_server, make_user, sign_in, browser
):
    from notifications.models import NotificationSettings

    srv = server_with(EMAIL_URL=smtp_server.url)
    worker = worker_with(REDIS_URL=private_redis.url, CHAT_BASE_URL=srv.url, EMAIL_URL=smtp_server.url)
    user = make_user("erin")
    settings_page = sign_in("erin", server=srv).new_page()
    settings_page.goto("/settings/")
    settings_page.get_by_label("Email address").fill("erin@example.com")
    settings_page.locator("#email-settings-section").get_by_role("button", name="Save").click()
    settings_page.get_by_role("button", name="Send again").wait_for(timeout=LIVE_TIMEOUT_MS)
    wait_for_tasks(worker, srv, task="notifications.tasks.email_confirmation")

    [email] = smtp_server.messages()
    assert email["To"] == "erin@example.com"
    [link] = re.findall(rf"{re.escape(srv.url)}/settings/email/confirm/\S+/", email.get_body(("plain",)).get_content())
    # Another browser, signed out: the link shows a button; pressing it confirms.
    phone = browser.new_context(**LOOKS["phone"])
    try:
        page = phone.new_page()
        page.goto(link)
        assert "erin@example.com" in page.locator("main").inner_text()
        assert_accessible(page, "confirming an address (phone)")
        assert not NotificationSettings.objects.get(user=user).email_confirmed
        page.get_by_role("button", name="Confirm").click()
        page.get_by_role("heading", name="Address confirmed").wait_for(timeout=LIVE_TIMEOUT_MS)
    finally:
        phone.close()
    assert NotificationSettings.objects.get(user=user).email_confirmed
    settings_page.reload()
    assert settings_page.locator("#email-status").inner_text() == "Emails go to erin@example.com (confirmed)."
