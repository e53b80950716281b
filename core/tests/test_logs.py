"""LOG_FORMAT=json: each line one JSON object, carrying the request or
socket it was logged for (core/logs.py)."""

import contextvars
import io
import json
import logging
from contextlib import contextmanager

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient

from core.logs import JsonFormatter
from rooms.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def json_lines(logger_name):
    """What `logger_name` logs meanwhile, as JSON lines formatted where they
    are logged (in the request's or the socket's own context)."""
    stream, logger = io.StringIO(), logging.getLogger(logger_name)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    lines = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


@pytest.mark.usefixtures("close_db_connections")
async def test_a_request_s_lines_carry_its_id_user_and_room(alice):
    browser = AsyncClient()  # ASGI, as daphne serves it
    await browser.aforce_login(alice)
    with json_lines("django.request") as lines:
        response = await browser.get("/rooms/no-such-room/")
    assert response.status_code == 404
    [line] = lines
    assert line["message"] == "Not Found: /rooms/no-such-room/" and line["level"] == "WARNING"
    assert line["logger"] == "django.request" and line["time"].endswith("Z")
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == alice.pk and line["room"] == "no-such-room"


def test_an_error_s_traceback_stays_in_its_one_line():
    def fail():
        try:
            raise ValueError("line one\nline two")
        except ValueError:
            logging.getLogger("chat.test").exception("it failed")

    with json_lines("chat.test") as lines:
        contextvars.Context().run(fail)  # outside any request, socket or task
    [line] = lines
    assert line["message"] == "it failed" and line["level"] == "ERROR"
    assert "ValueError: line one\nline two" in line["exception"]
    assert "request_id" not in line and "socket_id" not in line


@pytest.mark.usefixtures("close_db_connections")
async def test_a_socket_s_lines_carry_its_id_user_and_room(alice, lobby):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/rooms/lobby/")
    communicator.scope["user"] = alice
    with json_lines("chat.access") as lines:
        assert (await communicator.connect())[0]
        await communicator.disconnect()
    opened, closed = lines
    assert opened["message"] == "socket opened: /ws/rooms/lobby/"
    assert closed["message"].startswith("socket closed") and closed["socket_id"] == opened["socket_id"]
    assert opened["user_id"] == alice.pk and opened["room"] == "lobby" and len(opened["socket_id"]) == 32
    assert "request_id" not in opened
