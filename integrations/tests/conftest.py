import json

import pytest

from conftest import HookServer


@pytest.fixture
def bot_and_token(db, lobby):
    from integrations.models import Bot

    return Bot.objects.create_bot("deploybot", rooms=[lobby])


@pytest.fixture
def bot(bot_and_token):
    return bot_and_token[0]


@pytest.fixture
def token(bot_and_token):
    return bot_and_token[1]


@pytest.fixture
def hooked_bot(bot, webhook_server):
    """The bot, its webhook URL the test's webhook server."""
    bot.webhook_url = webhook_server.url
    bot.save()
    return bot


class WebhookServer(HookServer):
    """Answers as told: `answers` is used in order, its last one repeating."""

    def __init__(self):
        super().__init__()
        self.answer_json({"text": "on it"})

    def answer(self, headers, body):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def answer_json(self, data, status=200):
        self.answers = [(status, "application/json", json.dumps(data).encode())]

    def payloads(self):
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def webhook_server(settings):
    settings.CHAT_WEBHOOK_ALLOW_PRIVATE = True
    settings.CHAT_WEBHOOK_TIMEOUT_SECONDS = 5
    server = WebhookServer().start()
    yield server
    server.stop()
