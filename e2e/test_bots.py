"""Bots: a message posted through the API appears live with a "bot" badge;
mentioning a bot, or sending it a direct message, calls its webhook (on the
worker) and its answer appears."""

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from e2e.conftest import HIDE, LIVE_TIMEOUT_MS, message_with, open_room, send
from e2e.test_direct_messages import DM_URL, conversations
from e2e.test_mentions import allow_notifications, notified
from e2e.webhook import api_call, api_post, webhook_for  # noqa: F401  (a fixture)

# The worker polls every 0.1 s; a webhook round trip and the reply's broadcast follow.
WEBHOOK_TIMEOUT_MS = 10_000


@pytest.fixture
def make_bot():
    from integrations.models import Bot
    from rooms.models import Room

    def make(name="deploybot", webhook_url=""):
        return Bot.objects.create_bot(name, rooms=[Room.objects.get(slug="lobby")], webhook_url=webhook_url)

    return make


def bot_answer(page, worker):
    """The webhook's answer on `page`, posted as the bot with its badge."""
    answer = message_with(page, "Status for production: all green")
    try:
        answer.wait_for(timeout=WEBHOOK_TIMEOUT_MS)
    except PlaywrightTimeout:
        raise AssertionError(f"no answer; worker log:\n{worker.log()[-3000:]}") from None
    assert answer.locator(".message-author").inner_text() == "deploybot"
    assert answer.locator(".bot-badge").is_visible()
    return answer


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


def test_the_server_answers_every_refusal_under_api_in_json(server, make_bot):
    from rooms.models import Room

    Room.objects.create(name="Secret", slug="secret", is_private=True)
    _, token = make_bot()
    messages = "/api/v1/rooms/{}/messages/"
    unknown = api_call(server.url, messages.format("absent"), token, b'{"text": "hi"}')
    assert unknown == (404, "application/json", {"error": "There is no room absent."})
    # A private room the bot was not given: not a word more than an unknown one.
    secret = api_call(server.url, messages.format("secret"), token, b'{"text": "hi"}')
    assert secret == (404, "application/json", {"error": "There is no room secret."})
    nested = api_call(server.url, messages.format("lobby"), token, b"[" * 100_000 + b"]" * 100_000)
    assert nested[:2] == (400, "application/json") and "nests deeper" in nested[2]["error"]
    assert api_call(server.url, messages.format("lobby"), token, method="GET")[:2] == (405, "application/json")
    assert api_call(server.url, "/api/v2/anything/", token)[:2] == (404, "application/json")
    status, content_type, document = api_call(server.url, "/api/v1/openapi.json", "", method="GET")
    assert (status, content_type, document["openapi"]) == (200, "application/json", "3.1.0")


def test_mentioning_a_bot_calls_its_webhook_and_its_answer_appears(
    server_with,
    worker_with,
    private_redis,
    make_user,
    sign_in,
    make_bot,
    webhook_for,  # noqa: F811
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
    bot_answer(page, worker)
    [(signed, payload)] = hook.calls
    assert signed and payload["event"] == "mention" and payload["message"]["author"] == "alice"
    from integrations.models import Delivery

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


def test_a_direct_message_to_a_bot_is_answered_live_in_the_conversation(
    server_with,
    worker_with,
    private_redis,
    make_user,
    sign_in,
    make_bot,
    webhook_for,  # noqa: F811
):
    srv = server_with()
    worker = worker_with(REDIS_URL=private_redis.url, CHAT_WEBHOOK_ALLOW_PRIVATE="true", CHAT_BASE_URL=srv.url)
    bot, token = make_bot()
    hook = webhook_for(token)
    bot.webhook_url = hook.url
    bot.save()
    make_user("alice")
    context = allow_notifications(sign_in("alice", server=srv), srv)
    alice = open_room(context)

    # A bot is a person to the picker: "New message", find it, start.
    alice.get_by_role("link", name="New message").click()
    dialog = alice.get_by_role("dialog", name="New message")
    dialog.get_by_label("Find people by name").fill("deploy")
    expect(dialog.locator(".person-choice")).to_have_text(["deploybot"], timeout=LIVE_TIMEOUT_MS)
    dialog.get_by_label("deploybot").check()
    dialog.get_by_role("button", name="Start conversation").click()
    alice.wait_for_url(DM_URL)
    expect(alice.locator("h1")).to_have_text("Direct messages with deploybot")
    expect(alice.locator('#room[data-ws="open"]')).to_have_count(1, timeout=10_000)

    # Alice steps away: both her tabs are in the background (nothing is
    # marked read); the conversation's tab notifies her of the answer and
    # the other tab's list counts it, as for any direct message.
    lobby = open_room(context)
    for page in (lobby, alice):
        page.evaluate(HIDE, True)
    send(alice, "status production")
    bot_answer(alice, worker)
    [(signed, payload)] = hook.calls
    assert signed and payload["event"] == "direct_message" and payload["message"]["author"] == "alice"
    assert payload["message"]["url"] == f"{alice.url}messages/{payload['message']['id']}/"
    [notice] = notified(alice, 1)
    assert (notice["title"], notice["body"]) == ("deploybot (direct message)", "Status for production: all green")
    expect(conversations(lobby).locator(".unread-count")).to_have_text("1 unread", timeout=LIVE_TIMEOUT_MS)
    assert notified(lobby, 1)[0]["title"] == "New direct message: deploybot"
    # Back at the conversation: the answer is read, everywhere.
    alice.evaluate(HIDE, False)
    expect(conversations(lobby).locator(".unread-count")).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
