"""The bots' API as an OpenAPI 3.1 document, served at /api/v1/openapi.json.

It lists exactly the answers the API gives, each with its JSON shape and
headers: bot authors' tools read it, and the unit suite fuzzes the API
against it (integrations/tests/test_api_fuzz.py), so an answer it does not
list fails a test. docs/bots-api.md says the same for people. The limits in
it are this server's settings.
"""

from django.conf import settings

from . import tokens

TOKEN_PATTERN = f"^{tokens.PREFIX}[A-Za-z0-9_-]{{43}}$"
SLUG_PATTERN = "^[-a-zA-Z0-9_]+$"

API_DESCRIPTION = """\
Bots post to rooms with a token staff issued (shown once when the bot is
made). Every answer is JSON; an error is `{"error": "<what went wrong>"}`,
whatever refused the request, an address that does not exist under /api/
included (404). A method an address does not answer gets 405 with an
`Allow` header (`MethodNotAllowed` below).

A bot with a webhook URL receives a signed JSON POST when it is mentioned
(in a room staff gave it) or sent a direct message: the `botEvent` webhook
below."""


PERSON = {"type": "string", "description": "A username."}
WEBHOOK_EVENT = {
    "type": "object",
    "description": "What a bot's webhook receives.",
    "required": ["event", "bot", "room", "message"],
    "properties": {
        "event": {"enum": ["mention", "direct_message"]},
        "bot": {
            "type": "object",
            "required": ["id", "name"],
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        },
        "room": {
            "oneOf": [
                {
                    "type": "object",
                    "description": "A room: answer with the API, to its slug.",
                    "required": ["kind", "slug", "name"],
                    "properties": {"kind": {"const": "room"}, "slug": {"type": "string"}, "name": {"type": "string"}},
                },
                {
                    "type": "object",
                    "description": "A direct conversation: answer in the webhook's answer.",
                    "required": ["kind", "id", "participants"],
                    "properties": {
                        "kind": {"const": "direct"},
                        "id": {"type": "integer"},
                        "participants": {"type": "array", "items": PERSON},
                    },
                },
            ]
        },
        "message": {
            "type": "object",
            "required": ["id", "text", "author", "created_at", "url"],
            "properties": {
                "id": {"type": "integer"},
                "text": {"type": "string"},
                "author": PERSON | {"description": 'A username, or "deleted user".'},
                "created_at": {"type": "string", "format": "date-time"},
                "url": {"type": "string", "description": "Its permalink (absolute when CHAT_BASE_URL is set)."},
            },
        },
    },
}
WEBHOOK = {
    "post": {
        "summary": "The bot is mentioned or sent a direct message",
        "description": (
            "A JSON POST to the bot's webhook URL, within CHAT_WEBHOOK_TIMEOUT_SECONDS, retried with backoff when "
            "it fails. Addresses inside the server's own network are never called."
        ),
        "parameters": [
            {
                "name": "X-Chat-Signature",
                "in": "header",
                "required": True,
                "description": "`sha256=` and the hex HMAC-SHA256 of the raw body, keyed with the bot's token.",
                "schema": {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/WebhookEvent"},
                    "example": {
                        "event": "mention",
                        "bot": {"id": 1, "name": "deploybot"},
                        "room": {"kind": "room", "slug": "ops", "name": "Ops"},
                        "message": {
                            "id": 42,
                            "text": "@deploybot status?",
                            "author": "alice",
                            "created_at": "2026-12-04T15:22:00.000Z",
                            "url": "https://chat.example.com/rooms/ops/messages/42/",
                        },
                    },
                }
            },
        },
        "responses": {
            "200": {
                "description": (
                    'Any 2xx. A body `{"text": "..."}` (or plain text) is posted as the bot\'s reply where the message '
                    "was; an empty body posts nothing. Other statuses are retried."
                ),
                "content": {
                    "application/json": {"schema": {"type": "object", "properties": {"text": {"type": "string"}}}},
                    "text/plain": {"schema": {"type": "string"}},
                },
            }
        },
    }
}


def error_answer(description, example, headers=None):
    answer = {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "example": {"error": example}}
        },
    }
    if headers:
        answer["headers"] = headers
    return answer


def header(description, schema):
    return {"description": description, "required": True, "schema": schema}


def document():
    limit = settings.CHAT_MAX_MESSAGE_LENGTH
    return {
        "openapi": "3.1.0",
        "info": {"title": "Chat bots API", "version": "1", "description": API_DESCRIPTION},
        "paths": {
            "/api/v1/rooms/{slug}/messages/": {
                "summary": "A room's messages, as a bot posts them",
                "description": "POST only; any other method is answered 405 (`MethodNotAllowed`).",
                "post": {
                    "operationId": "postMessage",
                    "summary": "Post a message to a room as the bot",
                    "description": (
                        "The message appears live in the room with a bot badge, through the same rules as "
                        "people's messages: the room's (archived rooms are read-only), the length limit and "
                        "the flood limit. Private rooms exist for the bot only when staff gave them to it."
                    ),
                    "security": [{"botToken": []}],
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "description": "The room's slug, as in /rooms/<slug>/.",
                            "schema": {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 80},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/NewMessage"},
                                "example": {"text": "Deploy finished: all green"},
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Posted.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Posted"},
                                    "example": {"id": 42, "url": "https://chat.example.com/rooms/ops/messages/42/"},
                                }
                            },
                        },
                        "400": error_answer(
                            "The body is not a JSON object holding the text as a string, nests deeper than "
                            "any message needs, or holds a text that cannot be stored (blank, or holding a "
                            "control character other than tab, newline and carriage return, or a lone surrogate).",
                            'Send JSON with the message as a string: {"text": "..."}.',
                        ),
                        "401": error_answer(
                            "No token, a malformed one, a wrong or a revoked one. Session cookies are never accepted.",
                            "This token is not valid (wrong, or revoked).",
                            {"WWW-Authenticate": header('Always `Bearer realm="chat"`.', {"type": "string"})},
                        ),
                        "403": error_answer(
                            "A room the bot knows of but may not post to: a public room staff did not give "
                            "it, an archived room, or a private room staff took the bot out of.",
                            "This bot may not post to ops.",
                        ),
                        "404": error_answer(
                            "No such room, or a private room staff did not give the bot: the two are "
                            "answered alike, so no answer tells that a private room exists.",
                            "There is no room ops.",
                        ),
                        "413": error_answer(
                            f"The text is over {limit} characters, or the body is larger than any message needs.",
                            f"Messages are limited to {limit} characters (this one has {limit + 1}).",
                        ),
                        "429": error_answer(
                            "Over the flood limit (the same as people's): try again after Retry-After seconds.",
                            f"You are sending messages too quickly: at most {settings.CHAT_RATE_LIMIT_MESSAGES} every "
                            f"{settings.CHAT_RATE_LIMIT_SECONDS} seconds. Wait a moment and try again.",
                            {"Retry-After": header("Seconds to wait.", {"type": "string", "pattern": "^[0-9]+$"})},
                        ),
                    },
                },
            },
            "/api/v1/openapi.json": {
                "description": "GET (and HEAD) only; any other method is answered 405 (`MethodNotAllowed`).",
                "get": {
                    "operationId": "getOpenAPIDocument",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object", "required": ["openapi"]}}},
                        }
                    },
                },
            },
        },
        "webhooks": {"botEvent": WEBHOOK},
        "components": {
            "securitySchemes": {
                "botToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": f"`Authorization: Bearer <token>`; a token looks like `{TOKEN_PATTERN}`.",
                }
            },
            "schemas": {
                "NewMessage": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {
                        "text": {
                            "type": "string",
                            "maxLength": limit,
                            "description": "The message, formatted like people's (mentions as @name; emoji "
                            "shortcodes such as :tada: saved as the emoji, outside code): not blank, "
                            "without control characters (tab, newline and carriage return excepted) "
                            "or lone surrogates.",
                        }
                    },
                },
                "Posted": {
                    "type": "object",
                    "required": ["id", "url"],
                    "properties": {
                        "id": {"type": "integer", "description": "The message's id."},
                        "url": {"type": "string", "format": "uri", "description": "Its permalink."},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string", "description": "What went wrong, for people."}},
                    "additionalProperties": False,
                },
                "WebhookEvent": WEBHOOK_EVENT,
            },
            "responses": {
                "MethodNotAllowed": error_answer(
                    "A method this address does not answer.",
                    "This address answers POST only.",
                    {"Allow": header("The methods it answers.", {"type": "string"})},
                ),
            },
        },
    }
