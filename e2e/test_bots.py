"""Bots: a message posted through the API appears live with a "bot" badge;
mentioning a bot calls its webhook (on the worker) and its answer appears."""

import hashlib
import hmac
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from e2e.conftest import LIVE_TIMEOUT_MS, message_with, open_room, send

# The worker polls every 0.1 s; a webhook round trip and the reply's broadcast follow.
WEBHOOK_TIMEOUT_MS = 10_000


def api_post(server, slug, token, body):
    request = urllib.request.Request(
        f"{server.url}/api/v1/rooms/{slug}/messages/", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def make_bot():
    from integrations.models import Bot
    from rooms.models import Room

    def make(name="deploybot", webhook_url=""):
        return Bot.objects.create_bot(name, rooms=[Room.objects.get(slug="lobby")], webhook_url=webhook_url)

    return make


def test_a_bot_posts_through_the_api_and_an_open_page_shows_it_live(server, make_user, sign_in, make_bot):
    make_user("alice")
    page = open_room(sign_in("alice"))
    _, token = make_bot()
    status, answer = api_post(server, "lobby", token, {"text": "Deploy <b>finished</b>"})
    assert status == 201
    shown = message_with(page, "Deploy <b>finished</b>")
    shown.wait_for(timeout=LIVE_TIMEOUT_MS)
    assert shown.get_attribute("id") == f"message-{answer['id']}"
    assert shown.locator(".message-author").inner_text() == "deploybot"
    assert shown.locator(".bot-badge").inner_text().lower() == "bot"
    # The permalink the API answered with opens the message.
    page.goto(answer["url"])
    assert page.locator(f"#message-{answer['id']} .bot-badge").is_visible()
    assert api_post(server, "lobby", "chatbot_wrong", {"text": "x"})[0] == 401


class Webhook:
    """The bot's side: checks the signature, answers with what it was asked."""

    def __init__(self, token):
        self.token = token
        self.calls = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(hook.token.encode(), body, hashlib.sha256).hexdigest()
                signed = hmac.compare_digest(self.headers.get("X-Chat-Signature", ""), expected)
                hook.calls.append((signed, json.loads(body)))
                text = json.loads(body)["message"]["text"]
                answer = json.dumps({"text": f"Status for {text.split()[-1]}: all green"}).encode()
                self.send_response(200 if signed else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hook"


@pytest.fixture
def webhook_for():
    started = []

    def start(token):
        hook = Webhook(token)
        threading.Thread(target=hook.httpd.serve_forever, daemon=True).start()
        started.append(hook)
        return hook

    yield start
    for hook in started:
        hook.httpd.shutdown()
        hook.httpd.server_close()


def test_mentioning_a_bot_calls_its_webhook_and_its_answer_appears(
    server_with, worker_with, private_redis, make_user, sign_in, make_bot, webhook_for
):
    # The worker broadcasts the bot's answer: it shares the web process's Redis.
    srv = server_with()
    worker = worker_with(REDIS_URL=private_redis.url, CHAT_WEBHOOK_ALLOW_PRIVATE="true")
    bot, token = make_bot()
    hook = webhook_for(token)
    bot.webhook_url = hook.url
    bot.save()
    make_user("alice")
    page = open_room(sign_in("alice", server=srv))
    send(page, "@deploybot status production")
    answer = message_with(page, "Status for production: all green")
    try:
        answer.wait_for(timeout=WEBHOOK_TIMEOUT_MS)
    except Exception:
        raise AssertionError(f"no answer; worker log:\n{worker.log()[-3000:]}") from None
    assert answer.locator(".message-author").inner_text() == "deploybot"
    assert answer.locator(".bot-badge").is_visible()
    [(signed, payload)] = hook.calls
    assert signed and payload["event"] == "mention" and payload["message"]["author"] == "alice"
    from integrations.models import Delivery

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
