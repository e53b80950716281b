"""Outgoing webhooks: a mention of a bot reaches its URL signed, its answer
is posted as the bot, failures are retried, internal addresses refused."""

import socket
import threading
import time

import pytest

from integrations import tokens, webhooks
from integrations.models import Delivery
from rooms.models import Message


def mention(room, author, text, capture):
    with capture(execute=True):
        return Message.objects.post(room, author, text)


def test_a_mention_is_posted_signed_and_the_answer_appears_as_the_bot(
    hooked_bot, token, webhook_server, lobby, alice, run_tasks, django_capture_on_commit_callbacks
):
    message = mention(lobby, alice, "@deploybot status?", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        run_tasks()
    [(headers, body)] = webhook_server.received
    assert headers["X-Chat-Signature"] == tokens.sign(body, token)
    assert headers["Content-Type"] == "application/json"
    sent = webhook_server.payloads()[0]
    assert sent["event"] == "mention" and sent["room"]["slug"] == "lobby"
    assert sent["message"]["text"] == "@deploybot status?" and sent["message"]["author"] == "alice"
    assert sent["message"]["url"].endswith(f"/rooms/lobby/messages/{message.pk}/")
    reply = Message.objects.exclude(pk=message.pk).get()
    assert (reply.author, reply.text) == (hooked_bot.user, "on it")
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status, delivery.reply) == ("delivered", 1, 200, reply)


def test_a_plain_text_answer_is_posted_and_an_empty_one_posts_nothing(
    hooked_bot, webhook_server, lobby, alice, run_tasks, django_capture_on_commit_callbacks
):
    webhook_server.answers = [(200, "text/plain", b"deployed 3 minutes ago")]
    mention(lobby, alice, "@deploybot when?", django_capture_on_commit_callbacks)
    run_tasks()
    assert Message.objects.filter(author=hooked_bot.user).get().text == "deployed 3 minutes ago"
    webhook_server.answers = [(204, "text/plain", b"")]
    mention(lobby, alice, "@deploybot thanks", django_capture_on_commit_callbacks)
    run_tasks()
    assert Message.objects.filter(author=hooked_bot.user).count() == 1


def test_no_mention_no_call_and_a_bots_own_message_calls_no_bot(
    hooked_bot, token, webhook_server, lobby, alice, run_tasks, django_capture_on_commit_callbacks
):
    mention(lobby, alice, "deploybot without the at", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        hooked_bot.post(lobby, "I am @deploybot")
    run_tasks()
    assert webhook_server.received == []


def test_a_failing_webhook_is_retried_three_times_with_backoff_then_failed(
    hooked_bot, webhook_server, lobby, alice, run_tasks, django_capture_on_commit_callbacks
):
    webhook_server.answers = [(500, "text/plain", b"boom")]
    mention(lobby, alice, "@deploybot status?", django_capture_on_commit_callbacks)
    run_tasks()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "HTTP 500: boom" in delivery.last_error
    for _ in range(5):
        run_tasks(later=True)
    delivery.refresh_from_db()
    assert len(webhook_server.received) == 4  # the first call and 3 retries
    assert (delivery.status, delivery.attempts) == ("failed", 4)
    assert not Message.objects.filter(author=hooked_bot.user).exists()


def test_a_retry_that_succeeds_delivers_once(
    hooked_bot, webhook_server, lobby, alice, run_tasks, django_capture_on_commit_callbacks
):
    webhook_server.answers = [(503, "text/plain", b"busy"), (200, "application/json", b'{"text": "ok now"}')]
    mention(lobby, alice, "@deploybot status?", django_capture_on_commit_callbacks)
    run_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        run_tasks(later=True)
    run_tasks(later=True)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert list(Message.objects.filter(author=hooked_bot.user).values_list("text", flat=True)) == ["ok now"]


def test_a_bot_mentioned_in_a_room_it_was_not_given_is_not_called(
    hooked_bot, webhook_server, alice, run_tasks, django_capture_on_commit_callbacks
):
    from rooms.models import Room

    ops = Room.objects.create(name="Ops", slug="ops")
    mention(ops, alice, "@deploybot are you here?", django_capture_on_commit_callbacks)
    run_tasks()
    assert webhook_server.received == [] and not Delivery.objects.exists()


@pytest.fixture
def raw_listener():
    """A TCP socket listening on 127.0.0.1 that answers nothing unless a test makes it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    yield listener
    listener.close()


def call_webhook_at(listener, bot, room, author, capture, run_tasks):
    bot.webhook_url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    bot.save()
    mention(room, author, "@deploybot status?", capture)
    run_tasks()
    return Delivery.objects.get()


def test_a_timeout_counts_as_a_failed_attempt(
    hooked_bot, raw_listener, lobby, alice, run_tasks, django_capture_on_commit_callbacks, settings
):
    settings.CHAT_WEBHOOK_TIMEOUT_SECONDS = 0.3  # it accepts, and never answers
    delivery = call_webhook_at(raw_listener, hooked_bot, lobby, alice, django_capture_on_commit_callbacks, run_tasks)
    assert delivery.status == "pending" and "timed out" in delivery.last_error


def test_an_answer_dripping_slower_than_the_timeout_is_a_failed_attempt(
    hooked_bot, raw_listener, lobby, alice, run_tasks, django_capture_on_commit_callbacks, settings
):
    def drip():
        connection, _ = raw_listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n")
            for _ in range(30):  # a byte every 0.1 s: each read is quick, the whole is not
                try:
                    connection.sendall(b"x")
                except OSError:
                    return
                time.sleep(0.1)

    threading.Thread(target=drip, daemon=True).start()
    settings.CHAT_WEBHOOK_TIMEOUT_SECONDS = 1
    delivery = call_webhook_at(raw_listener, hooked_bot, lobby, alice, django_capture_on_commit_callbacks, run_tasks)
    assert delivery.status == "pending" and "took more than 1 s" in delivery.last_error
    assert not Message.objects.filter(author=hooked_bot.user).exists()


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.10", "172.16.5.4", "169.254.169.254",
                                     "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "0.0.0.0", "100.64.0.1"])
def test_internal_addresses_are_refused(address, settings):
    settings.CHAT_WEBHOOK_ALLOW_PRIVATE = False
    assert webhooks.is_internal(address)
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(webhooks.RefusedURL, match="internal address"):
        webhooks.check_url(f"http://{host}/hook")


def test_public_addresses_pass_and_other_schemes_are_refused(settings):
    settings.CHAT_WEBHOOK_ALLOW_PRIVATE = False
    assert not webhooks.is_internal("93.184.216.34")
    assert not webhooks.is_internal("2606:2800:220:1:248:1893:25c8:1946")
    for url in ["ftp://example.com/", "file:///etc/passwd", "http:///nohost"]:
        with pytest.raises(webhooks.RefusedURL):
            webhooks.check_url(url)


def test_a_name_that_resolves_inside_at_send_time_is_refused_and_not_retried(
    bot, lobby, alice, run_tasks, django_capture_on_commit_callbacks, settings
):
    settings.CHAT_WEBHOOK_ALLOW_PRIVATE = False
    # Saved directly: as if the name resolved to a public address when staff saved it.
    bot.webhook_url = "http://localhost:9/hook"
    bot.save()
    mention(lobby, alice, "@deploybot status?", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    run_tasks(later=True)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("refused", 1)
    assert "internal address" in delivery.last_error


def test_deliveries_are_listed_in_the_admin(admin_client, hooked_bot, webhook_server, lobby, alice, run_tasks,
                                            django_capture_on_commit_callbacks):
    webhook_server.answers = [(500, "text/plain", b"boom")]
    mention(lobby, alice, "@deploybot status?", django_capture_on_commit_callbacks)
    run_tasks()
    page = admin_client.get("/admin/integrations/delivery/").content.decode()
    assert "deploybot" in page and "HTTP 500: boom" in page and "pending" in page
