"""Email for the away: a mention left unread reaches a real SMTP server as
exactly one email whose link opens the message; a mention read in a
visible tab sends nothing; /settings/ sets the address and the choice."""

import time

import pytest

from e2e.conftest import (
    LIVE_TIMEOUT_MS, LOOKS, assert_accessible, assert_no_horizontal_scroll, message_with, open_room, send,
)

DELAY_SECONDS = 3


def wait_for_tasks(worker, server, timeout=30):
    """Until the worker has run every email check queued so far."""
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    checks = DBTaskResult.objects.filter(task_path="notifications.tasks.email_unread_mentions")
    while time.monotonic() < deadline:
        if checks.exists() and not checks.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists():
            return
        time.sleep(0.1)
    raise AssertionError(
        f"email checks still queued after {timeout} s: {list(checks.values_list('status', 'run_after'))}\n"
        f"worker log:\n{worker.log()[-3000:]}\nserver log:\n{server.log_path.read_text()[-3000:]}"
    )


def test_an_unread_mention_is_emailed_once_with_a_working_link_and_a_read_one_is_not(
    server_with, worker_with, private_redis, smtp_server, make_user, sign_in
):
    # As in a deploy, the web process (which queues the checks) and the worker share one environment.
    env = {"EMAIL_URL": smtp_server.url, "CHAT_EMAIL_DELAY_SECONDS": str(DELAY_SECONDS)}
    srv = server_with(**env)
    worker = worker_with(REDIS_URL=private_redis.url, CHAT_BASE_URL=srv.url, **env)
    make_user("alice", email="alice@example.com")  # away
    make_user("carol", email="carol@example.com")  # reading, in a visible tab
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
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for(timeout=LIVE_TIMEOUT_MS)
    user.refresh_from_db()
    assert user.email == "dave@example.com"
    assert not NotificationSettings.objects.get(user=user).email_mentions
