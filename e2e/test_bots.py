"""Bots: a message posted through the API appears live with a "bot" badge;
mentioning a bot calls its webhook (on the worker) and its answer appears."""

import pytest

from e2e.conftest import LIVE_TIMEOUT_MS, message_with, open_room, send
from e2e.webhook import api_post, webhook_for  # noqa: F401  (a fixture)

# The worker polls every 0.1 s; a webhook round trip and the reply's broadcast follow.
WEBHOOK_TIMEOUT_MS = 10_000


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
    status, answer = api_post(server.url, "lobby", token, {"text": "Deploy <b>finished</b>"})
    assert status == 201
    shown = message_with(page, "Deploy <b>finished</b>")
    shown.wait_for(timeout=LIVE_TIMEOUT_MS)
    assert shown.get_attribute("id") == f"message-{answer['id']}"
    assert shown.locator(".message-author").inner_text() == "deploybot"
    assert shown.locator(".bot-badge").inner_text().lower() == "bot"
    # The permalink the API answered with opens the message.
    page.goto(answer["url"])
    assert page.locator(f"#message-{answer['id']} .bot-badge").is_visible()
    assert api_post(server.url, "lobby", "chatbot_wrong", {"text": "x"})[0] == 401


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
