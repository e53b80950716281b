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
    assert (delivery.status, delivery.attempts, delivery.response_status, delivery.reply) == (
        "delivered",
        1,
        200,
        reply,
    )


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


# What an endpoint sends at once, then what it trickles a byte every 50 ms (10 s
# in all): each read is quick, so only a deadline for the whole call ends it.
TRICKLES = {
    "status line": (b"", b"HTTP/1.1 200 OK" + b" " * 200 + b"\r\n\r\n"),
    "headers": (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"),
    "body": (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 200\r\n\r\n", b"x" * 200),
}


def trickle(listener, at_once, slowly):
    def serve():
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(at_once)
            for byte in slowly:
                try:
                    connection.sendall(bytes([byte]))
                except OSError:  # the caller gave up
                    return
                time.sleep(0.05)

    threading.Thread(target=serve, daemon=True).start()


@pytest.mark.parametrize("phase", TRICKLES)
def test_an_endpoint_trickling_its_answer_is_cut_off_at_the_deadline_and_the_attempt_failed(
    phase, hooked_bot, raw_listener, lobby, alice, run_tasks, django_capture_on_commit_callbacks, settings
):
    trickle(raw_listener, *TRICKLES[phase])
    settings.CHAT_WEBHOOK_TIMEOUT_SECONDS = 1
    started = time.monotonic()
    delivery = call_webhook_at(raw_listener, hooked_bot, lobby, alice, django_capture_on_commit_callbacks, run_tasks)
    # The deadline and some room for the worker's own queries; the endpoint would go on for 10 s.
    assert time.monotonic() - started < 1 + 1.5
    assert delivery.status == "pending"
    assert delivery.last_error == "TimeoutError: timed out: no complete answer within 1 s"
    assert not Message.objects.filter(author=hooked_bot.user).exists()


def test_a_quick_answer_is_not_cut_short_by_the_deadline(webhook_server):
    webhook_server.answers = [(200, "text/plain", b"y" * 50_000)]
    status, content_type, answer = webhooks.post(webhook_server.url, b"{}", "token", timeout=1)
    assert (status, content_type, answer) == (200, "text/plain", b"y" * 50_000)


# Every form of an address that is not public, as a URL's host (the spellings
# of 127.0.0.1 are getaddrinfo's), and what the refusal calls it.
NOT_PUBLIC_HOSTS = [
    ("127.0.0.1", "loopback"),
    ("2130706433", "loopback"),
    ("0177.0.0.1", "loopback"),
    ("0x7f.0.0.1", "loopback"),
    ("127.1", "loopback"),
    ("localhost", "loopback"),
    ("[::1]", "loopback"),
    ("[::ffff:127.0.0.1]", "loopback"),
    ("[::127.0.0.1]", "IPv4-compatible"),
    ("[64:ff9b::7f00:1]", "NAT64"),
    ("[64:ff9b::5db8:d822]", "NAT64"),
    ("[64:ff9b:1::a00:1]", "NAT64"),
    ("[2002:7f00:1::1]", "6to4"),
    ("[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "Teredo"),
    ("10.1.2.3", "private"),
    ("192.168.0.10", "private"),
    ("[fd00::1]", "private"),
    ("169.254.169.254", "link-local"),
    ("[fe80::1]", "link-local"),
    ("100.64.0.1", "not globally routable"),
    ("0.0.0.0", "unspecified"),
    ("[::]", "unspecified"),
    ("198.18.0.1", "private"),
    ("192.0.2.1", "private"),
    ("[2001:db8::1]", "private"),
    ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved"),
]
OTHER_SPELLINGS = {"2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1"}


@pytest.mark.parametrize(("host", "kind"), NOT_PUBLIC_HOSTS)
def test_a_webhook_url_that_is_not_public_cannot_be_saved(host, kind, lobby, settings):
    from integrations.forms import BotForm

    settings.CHAT_WEBHOOK_ALLOW_PRIVATE = False
    form = BotForm(data={"name": "hookbot", "rooms": [lobby.pk], "webhook_url": f"http://{host}/hook"})
    assert not form.is_valid() and list(form.errors) == ["webhook_url"]
    refusal = form.errors["webhook_url"][0]
    # Django's URL syntax already refuses the other spellings of 127.0.0.1.
    assert kind in refusal or (refusal == "Enter a valid URL." and host in OTHER_SPELLINGS)


@pytest.mark.parametrize(("host", "kind"), NOT_PUBLIC_HOSTS)
def test_a_webhook_url_that_is_not_public_is_refused_at_send_time_without_connecting(
    host, kind, raw_listener, settings
):
    settings.CHAT_WEBHOOK_ALLOW_PRIVATE = False
    port = raw_listener.getsockname()[1]
    with pytest.raises(webhooks.RefusedURL, match=kind):
        webhooks.post(f"http://{host}:{port}/hook", b"{}", "token", timeout=1)
    raw_listener.setblocking(False)
    with pytest.raises(BlockingIOError):  # nothing connected to the loopback listener
        raw_listener.accept()


def test_other_schemes_are_refused(settings):
    settings.CHAT_WEBHOOK_ALLOW_PRIVATE = False
    for url in ["ftp://example.com/", "file:///etc/passwd", "http:///nohost"]:
        with pytest.raises(webhooks.RefusedURL, match="http:// or https://"):
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
    assert "a loopback address" in delivery.last_error


def test_deliveries_are_listed_in_the_admin(
    admin_client, hooked_bot, webhook_server, lobby, alice, run_tasks, django_capture_on_commit_callbacks
):
    webhook_server.answers = [(500, "text/plain", b"boom")]
    mention(lobby, alice, "@deploybot status?", django_capture_on_commit_callbacks)
    run_tasks()
    page = admin_client.get("/admin/integrations/delivery/").content.decode()
    assert "deploybot" in page and "HTTP 500: boom" in page and "pending" in page


def test_an_answer_no_message_may_hold_is_recorded_as_refused_and_posts_nothing(
    hooked_bot, webhook_server, lobby, alice, run_tasks, django_capture_on_commit_callbacks, unsendable
):
    text, named = unsendable
    webhook_server.answer_json({"text": text})
    message = mention(lobby, alice, "@deploybot status?", django_capture_on_commit_callbacks)
    run_tasks()
    assert list(Message.objects.all()) == [message]
    delivery = Delivery.objects.get()
    # The call worked, so it is not retried; the answer's refusal is on record.
    assert delivery.status == "delivered" and delivery.reply is None
    assert delivery.last_error.startswith(f"The answer was not posted: Messages cannot contain {named}")
