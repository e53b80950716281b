"""An upload's body reaches Django whole and in few pieces, without Twisted
parsing it in the event loop first (project/request_bodies.py)."""

import asyncio
from types import SimpleNamespace

from daphne import http_protocol
from twisted.internet.testing import StringTransport

import project.asgi  # noqa: F401 (loading the app applies it, as in daphne)
from project.request_bodies import WholeBodyChunks


def test_daphne_leaves_multipart_bodies_to_django(monkeypatch):
    seen = []
    monkeypatch.setattr(http_protocol.WebRequest, "process",
                        lambda request: seen.append((request.args, request.content.read())))
    server = SimpleNamespace(protocol_connected=lambda request: None)
    protocol = http_protocol.HTTPFactory(server).buildProtocol(None)
    protocol.makeConnection(StringTransport())
    body = (b'--b\r\nContent-Disposition: form-data; name="message"\r\n\r\nhello\r\n'
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            b"Content-Type: image/png\r\n\r\n" + bytes(range(256)) * 64 + b"\r\n--b--\r\n")
    protocol.dataReceived(b"POST /rooms/lobby/files/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Type: multipart/form-data; boundary=b\r\n"
                          b"Content-Length: %d\r\n\r\n" % len(body) + body)
    assert seen == [({}, body)]


def _received_by_the_app(messages, piece):
    """What an app behind WholeBodyChunks reads, given what the server sends."""
    queue = asyncio.Queue()
    for message in messages:
        queue.put_nowait(message)
    read = []

    async def app(scope, receive, send):
        while True:
            read.append(await receive())
            if read[-1]["type"] != "http.request" or not read[-1].get("more_body"):
                return

    asyncio.run(WholeBodyChunks(app, piece=piece)({"type": "http"}, queue.get, None))
    return read


def test_a_body_in_many_small_messages_reaches_the_app_whole_in_few_pieces():
    chunks = [bytes([n % 251]) * 8192 for n in range(300)]
    server_sends = [{"type": "http.request", "body": chunk, "more_body": n < 299} for n, chunk in enumerate(chunks)]
    read = _received_by_the_app(server_sends, piece=1 << 20)
    assert b"".join(message["body"] for message in read) == b"".join(chunks)
    assert [len(message["body"]) for message in read] == [1 << 20, 1 << 20, 300 * 8192 - 2 * (1 << 20)]
    assert [message["more_body"] for message in read] == [True, True, False]


def test_a_client_leaving_mid_body_is_passed_on():
    server_sends = [{"type": "http.request", "body": b"x" * 100, "more_body": True}, {"type": "http.disconnect"}]
    assert _received_by_the_app(server_sends, piece=1 << 20) == [{"type": "http.disconnect"}]


def test_a_small_body_passes_as_it_came():
    server_sends = [{"type": "http.request", "body": b"a=1", "more_body": False}]
    assert _received_by_the_app(server_sends, piece=1 << 20) == server_sends
