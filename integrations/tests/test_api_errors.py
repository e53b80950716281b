"""Whatever refuses a request under /api/, the answer is JSON
{"error": "..."} with the right status: never an HTML page, never a crash
on a body a client chose."""

import json

import pytest
from django.test import Client

from integrations.api import MAX_NESTING, body_limit
from rooms.models import Message

from .test_api import post

MESSAGES = "/api/v1/rooms/lobby/messages/"


def assert_json_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"] and body["error"]
    return body["error"]


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize(
    "path",
    [
        "/api/",
        "/api/v2/rooms/lobby/messages/",
        "/api/v1/rooms/lobby/messages",
        "/api/v1/rooms/l%C3%B6bby/messages/",
        "/api/v1/rooms/lobby/messages/extra/",
    ],
)
def test_an_address_under_api_that_does_not_exist_is_a_json_404(client, lobby, token, settings, debug, path):
    settings.DEBUG = debug
    response = client.post(
        path, '{"text": "hi"}', content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert "openapi.json" in assert_json_error(response, 404)
    assert not Message.objects.exists()


async def test_the_answer_is_json_on_the_asynchronous_path_too(async_client):
    # The server (daphne) runs the middleware chain asynchronously.
    assert_json_error(await async_client.get("/api/v1/nowhere/"), 404)
    assert_json_error(await async_client.get(MESSAGES), 405)


def test_pages_outside_api_keep_their_html_404(client):
    response = client.get("/nowhere/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "options"])
def test_another_method_is_a_json_405_naming_the_one_allowed(client, token, method):
    response = getattr(client, method)(MESSAGES, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert assert_json_error(response, 405) == f"This address does not answer {method.upper()}; it answers POST."
    assert response["Allow"] == "POST"


def test_head_is_a_405_with_the_allowed_method_too(client):
    response = client.head(MESSAGES)
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert response["Content-Type"] == "application/json"


def test_the_openapi_document_answers_get_only(client):
    response = client.post("/api/v1/openapi.json")
    assert_json_error(response, 405)
    assert response["Allow"] == "GET, HEAD"


def test_a_body_past_django_s_ceiling_is_a_json_413(client, bot, token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(client, "lobby", {"text": "x" * 1500}, token)
    assert "too large" in assert_json_error(response, 413)
    assert not Message.objects.exists()


def test_a_body_larger_than_any_message_needs_is_a_413_before_it_is_parsed(client, bot, token):
    response = post(client, "lobby", " " * body_limit() + '{"text": "hi"}', token)
    assert f"at most {body_limit()} bytes" in assert_json_error(response, 413)
    assert not Message.objects.exists()


def test_a_bad_host_header_is_a_json_400(client, token):
    response = client.post(
        MESSAGES, "{}", content_type="application/json", HTTP_HOST="evil.example", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert_json_error(response, 400)


@pytest.mark.urls("integrations.tests.failing_urls")
def test_an_unexpected_exception_is_a_json_500_with_the_security_headers(db, settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/api/v1/failing/")
    assert assert_json_error(response, 500) == "Something went wrong on the server; it has been logged."
    assert "a bug" not in response.content.decode()
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.urls("integrations.tests.failing_urls")
def test_a_csrf_refusal_is_a_json_403(db):
    response = Client(enforce_csrf_checks=True).post("/api/v1/csrf-guarded/", "{}", content_type="application/json")
    assert_json_error(response, 403)


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        "[" * 100_000,
        '{"text": "hi", "more": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"a": ' * 50_000 + "1" + "}" * 50_000,
    ],
    ids=["array", "unclosed", "inside-an-object", "objects"],
)
def test_an_absurdly_nested_body_is_a_400_not_a_crash(client, bot, token, body):
    response = post(client, "lobby", body, token)
    assert f"deeper than {MAX_NESTING} levels" in assert_json_error(response, 400)
    assert not Message.objects.exists()


def test_brackets_in_the_text_and_modest_nesting_are_fine(client, bot, token):
    text = "[{" * 500 + "]}" * 500
    extra = "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1)
    response = post(client, "lobby", f'{{"text": {json.dumps(text)}, "extra": {extra}}}', token)
    assert response.status_code == 201
    assert Message.objects.get().text == text


# The refusal is the model's (validate_text, which every way into a message
# shares), not this API's: the database could not store the text.
@pytest.mark.parametrize("body", ['{"text": "\\ud800"}', '{"text": "a\\udfffb"}'])
def test_a_lone_surrogate_in_the_text_is_a_400(client, bot, token, body):
    response = post(client, "lobby", body, token)
    assert_json_error(response, 400)
    assert not Message.objects.exists()
