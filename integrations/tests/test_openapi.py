"""The OpenAPI document the app publishes for bot authors: public, JSON,
and true to what the API answers and what a webhook receives."""

import json

import jsonschema
import schemathesis
from django.test import Client

from integrations import webhooks
from rooms.models import Message, Room, conversation_between

DOCUMENT = "/api/v1/openapi.json"
MESSAGES = "/api/v1/rooms/{slug}/messages/"


def published():
    response = Client().get(DOCUMENT)  # no token, no session
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()


def test_the_document_is_public_openapi_3_1_describing_the_api(db, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 500
    document = published()
    assert document["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(document).validate()  # against the OpenAPI 3.1 schema
    assert set(document["paths"]) == {MESSAGES, DOCUMENT}
    assert document["paths"][MESSAGES]["post"]["security"] == [{"botToken": []}]
    scheme = document["components"]["securitySchemes"]["botToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert document["components"]["schemas"]["NewMessage"]["properties"]["text"]["maxLength"] == 500


def test_every_status_the_api_gives_is_listed_with_a_json_body(db):
    document = published()
    answers = document["paths"][MESSAGES]["post"]["responses"]
    assert sorted(answers) == ["201", "400", "401", "403", "404", "413", "429"]
    method_not_allowed = document["components"]["responses"]["MethodNotAllowed"]
    for answer in [*answers.values(), method_not_allowed]:
        assert list(answer["content"]) == ["application/json"]
    assert "WWW-Authenticate" in answers["401"]["headers"] and "Retry-After" in answers["429"]["headers"]
    assert "Allow" in method_not_allowed["headers"]


def test_the_examples_are_what_the_api_answers(client, bot, token, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 1
    answers = published()["paths"][MESSAGES]["post"]["responses"]

    def example(status):
        return answers[status]["content"]["application/json"]["example"]

    def answer(body, authorization=f"Bearer {token}"):
        response = client.post(
            MESSAGES.format(slug="ops"), body, content_type="application/json", HTTP_AUTHORIZATION=authorization
        )
        return response.json()

    assert answer('{"text": "hi"}') == example("404")
    ops = Room.objects.create(name="Ops", slug="ops")
    assert answer('{"text": "hi"}') == example("403")
    bot.rooms.add(ops)
    assert answer("{}", authorization=f"Bearer {token[:-2]}xx") == example("401")
    assert answer('{"text": 1}') == example("400")
    assert answer(json.dumps({"text": "x" * (settings.CHAT_MAX_MESSAGE_LENGTH + 1)})) == example("413")
    assert set(answer('{"text": "hi"}')) == set(example("201"))
    assert answer('{"text": "again"}') == example("429")


def test_a_webhook_receives_what_the_document_describes(db, alice, bot, lobby, settings):
    settings.CHAT_BASE_URL = "https://chat.example.com"
    event = published()["components"]["schemas"]["WebhookEvent"]
    conversation = conversation_between(alice, [bot.user])[0]
    for room in (lobby, conversation):
        message = Message.objects.post(room, alice, "@deploybot status?")
        url = settings.CHAT_BASE_URL + message.get_absolute_url()
        body = webhooks.encode(webhooks.payload(bot, message, "mention", url))
        jsonschema.validate(json.loads(body), event, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
