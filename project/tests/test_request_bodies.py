"""An upload's body reaches the app as it came, in few pieces, without
Twisted parsing it in the event loop first; a body past its ceiling and a
line too long are answered before the app sees them (core/request_bodies.py).
Each test drives daphne's own request handling over a fake transport;
e2e/test_request_limits.py sends the same over real sockets."""

from daphne import http_protocol
from daphne.server import Server
from twisted.internet.testing import StringTransport

import project.asgi  # noqa: F401 (loading the app applies it, as in daphne)
from core.request_bodies import PIECE


class Queue(list):
    put_nowait = list.append


def _connect(server):
    protocol = http_protocol.HTTPFactory(server).buildProtocol(None)
    transport = StringTransport()
    protocol.makeConnection(transport)
    return protocol, transport


def _post(server, body, content_type=b"multipart/form-data; boundary=b"):
    protocol, transport = _connect(server)
    # A session cookie: without one, an upload is refused after its headers.
    protocol.dataReceived(
        b"POST /rooms/lobby/files/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid=s\r\n"
        b"Content-Type: " + content_type + b"\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body
    )
    return transport


def _daphne(received):
    """Daphne's server as its command line makes it (8 KiB buffer), the app
    replaced by a queue that keeps what it is sent."""
    server = Server(application=None, endpoints=["tcp:port=0:interface=127.0.0.1"])  # never listened on
    server.connections = {}  # as Server.run() starts it

    def create_application(request, scope):
        received.append(request)
        request.app_queue = Queue()
        return request.app_queue

    server.create_application = create_application
    return server


def test_daphne_leaves_multipart_bodies_to_django():
    received = []
    body = (
        b'--b\r\nContent-Disposition: form-data; name="message"\r\n\r\nhello\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + bytes(range(256)) * 64 + b"\r\n--b--\r\n"
    )
    _post(_daphne(received), body)
    (request,) = received
    assert request.args == {}
    assert [message["body"] for message in request.app_queue] == [body]


def test_a_large_body_reaches_the_app_whole_in_pieces_of_a_mebibyte():
    received = []
    body = bytes(range(256)) * (10 * 1024 + 3)  # a little over 2.5 MiB
    _post(_daphne(received), body, content_type=b"application/octet-stream")
    messages = received[0].app_queue
    assert b"".join(message["body"] for message in messages) == body
    assert [len(message["body"]) for message in messages] == [PIECE, PIECE, len(body) - 2 * PIECE]
    assert [message["more_body"] for message in messages] == [True, True, False]


def test_a_body_declared_past_its_ceiling_is_refused_before_the_app_sees_it(settings):
    settings.CHAT_MAX_UPLOAD_BYTES, settings.CHAT_MAX_FILES_PER_MESSAGE = 1024, 2
    received = []
    protocol, transport = _connect(_daphne(received))
    protocol.dataReceived(
        b"POST /rooms/lobby/files/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Length: %d\r\n\r\n" % (2 * 1024 + (1 << 20) + 1) + b"x" * 4096
    )
    assert transport.value().startswith(b"HTTP/1.1 413 Content Too Large\r\n")
    assert transport.value().endswith(b"\r\n\r\nThese files are too large: files are limited to 1 KiB each.")
    assert transport.disconnecting and received == []


def test_a_chunked_body_is_refused_once_past_the_ceiling_of_other_requests(settings):
    settings.CHAT_MAX_REQUEST_BYTES = 10_000
    received = []
    protocol, transport = _connect(_daphne(received))
    protocol.dataReceived(b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(3):
        protocol.dataReceived(b"1000\r\n" + b"x" * 4096 + b"\r\n")
    assert transport.value().startswith(b"HTTP/1.1 413 Content Too Large\r\n") and transport.disconnecting
    protocol.dataReceived(b"0\r\n\r\n")  # the end of the body, read with the rest: the request goes nowhere
    assert received == []


def test_a_request_line_too_long_is_answered_414():
    protocol, transport = _connect(_daphne([]))
    protocol.dataReceived(b"GET /search/?q=" + b"a" * 18_000 + b" HTTP/1.1\r\n")
    assert transport.value().startswith(b"HTTP/1.1 414 URI Too Long\r\n") and transport.disconnecting
