"""Daphne hands an upload's body to Django as it came, without Twisted
parsing it in the event loop first (project/daphne_uploads.py)."""

from types import SimpleNamespace

from daphne import http_protocol
from twisted.internet.testing import StringTransport

import project.asgi  # noqa: F401 (loading the app applies it, as in daphne)


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
