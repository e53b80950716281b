"""Request bodies are bounded while they arrive, and over-long request lines
get an answer: raw sockets against a real daphne, as an attacker would
send them (no browser sends such requests; the page refuses large files
before sending them)."""

import os
import socket

import pytest

from e2e.conftest import Server

MiB = 1 << 20
# Small limits, so an over-size chunked upload is cheap to send: 2 files of
# 2 MiB, so upload bodies are capped at 5 MiB (1 MiB for the multipart around them).
LIMITS = {"CHAT_MAX_UPLOAD_BYTES": str(2 * MiB), "CHAT_MAX_FILES_PER_MESSAGE": "2"}
UPLOAD_CEILING = 5 * MiB
CSRF_TOKEN = "requestsrequestsrequestsrequests"
# What the kernel may hold in flight on loopback (our send buffer, the
# server's receive buffer) before a closed connection is noticed.
IN_FLIGHT = 16 * MiB


@pytest.fixture(scope="module")
def spool(tmp_path_factory):
    """Where the server writes temporary files (request bodies it spools)."""
    return tmp_path_factory.mktemp("spool")


@pytest.fixture(scope="module")
def limited_server(server_env, spool, tmp_path_factory):
    srv = Server({**server_env, **LIMITS, "TMPDIR": str(spool)}, tmp_path_factory.mktemp("logs")).start()
    yield srv
    srv.stop()


def spooled(server, spool):
    """Bytes in the temporary files the server holds open now."""
    total = 0
    for fd in os.listdir(f"/proc/{server.process.pid}/fd"):
        link = f"/proc/{server.process.pid}/fd/{fd}"
        try:
            if os.readlink(link).startswith(str(spool)):
                total += os.stat(link).st_size
        except FileNotFoundError:  # closed meanwhile
            pass
    return total


def connect(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 256 * 1024)
    return sock


def head(method, path, *headers):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(sock):
    """(status, headers, body) of the server's answer, read until it closes."""
    data = b""
    while True:
        try:
            piece = sock.recv(65536)
        except ConnectionResetError:
            break
        if not piece:
            break
        data += piece
    top, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = top.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body.decode()


def pour(sock, server, spool, piece, most):
    """Send `piece` again and again (at most `most` bytes) until the server
    closes the connection; returns (bytes sent, most spooled meanwhile)."""
    sent = largest = 0
    while sent < most:
        try:
            sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(piece)
        largest = max(largest, spooled(server, spool))
    return sent, largest


def signed_in(make_user):
    """The cookies and header of a signed-in page, made in the database the server uses."""
    from django.test import Client

    browser = Client()
    browser.force_login(make_user("alice"))
    return (
        f"Cookie: sessionid={browser.cookies['sessionid'].value}; csrftoken={CSRF_TOKEN}",
        f"X-CSRFToken: {CSRF_TOKEN}",
    )


def multipart(*parts):
    """(content type, body) of a form with (name, filename or None, bytes) parts."""
    boundary = "limitsboundary"
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return f"multipart/form-data; boundary={boundary}", body + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize("who", ["a member", "anyone"])
def test_a_declared_300_mib_upload_is_refused_after_its_headers_and_never_read(who, limited_server, spool, make_user):
    credentials = signed_in(make_user) if who == "a member" else ()
    with connect(limited_server) as sock:
        # As curl sends a large body: it waits for "100 Continue", which must not come.
        sock.sendall(
            head(
                "POST",
                "/rooms/lobby/files/",
                *credentials,
                f"Content-Length: {300 * MiB}",
                "Content-Type: multipart/form-data; boundary=b",
                "Expect: 100-continue",
            )
        )
        status, headers, body = answer(sock)
        assert (status, headers["content-type"]) == (413, "text/plain; charset=utf-8")
        assert body == "These files are too large: files are limited to 2 MiB each."
        # The connection is closed: whatever follows is not read.
        sent, largest = pour(sock, limited_server, spool, b"x" * 65536, 300 * MiB)
    assert sent < 4 * MiB and largest == 0


def test_an_upload_without_a_session_is_refused_after_its_headers_even_within_the_ceiling(limited_server, spool):
    with connect(limited_server) as sock:
        sock.sendall(
            head(
                "POST",
                "/rooms/lobby/files/",
                f"Content-Length: {4 * MiB}",
                "Content-Type: multipart/form-data; boundary=b",
                "Expect: 100-continue",
            )
        )
        status, _, body = answer(sock)
        assert (status, body) == (403, "You are signed out. Log in again to keep chatting.")
        _sent, largest = pour(sock, limited_server, spool, b"x" * 65536, 4 * MiB)
    assert largest == 0


def test_a_body_poured_without_waiting_stops_being_taken_after_its_headers(limited_server, spool):
    with connect(limited_server) as sock:
        sock.sendall(
            head(
                "POST",
                "/rooms/lobby/files/",
                f"Content-Length: {300 * MiB}",
                "Content-Type: multipart/form-data; boundary=b",
            )
        )
        sent, largest = pour(sock, limited_server, spool, b"x" * 65536, 300 * MiB)
    assert sent < IN_FLIGHT and largest == 0


@pytest.mark.parametrize(
    ("path", "ceiling", "refusal"),
    [
        ("/rooms/lobby/files/", UPLOAD_CEILING, "These files are too large: files are limited to 2 MiB each."),
        ("/accounts/login/", MiB, "This request is too large: requests are limited to 1 MiB."),
    ],
)
def test_a_chunked_body_is_refused_once_past_its_ceiling(path, ceiling, refusal, limited_server, spool):
    chunk = b"%x\r\n" % (64 * 1024) + b"x" * (64 * 1024) + b"\r\n"
    with connect(limited_server) as sock:
        sock.sendall(head("POST", path, "Transfer-Encoding: chunked", "Content-Type: multipart/form-data; boundary=b"))
        sent, largest = pour(sock, limited_server, spool, chunk, 300 * MiB)
        status, _, body = answer(sock)
    assert (status, body) == (413, refusal)
    assert sent < ceiling + IN_FLIGHT and largest <= ceiling


def test_the_bots_api_is_answered_in_json_when_its_body_is_too_large(limited_server):
    with connect(limited_server) as sock:
        sock.sendall(
            head(
                "POST",
                "/api/v1/rooms/lobby/messages/",
                "Authorization: Bearer x",
                "Content-Type: application/json",
                f"Content-Length: {2 * MiB}",
            )
        )
        status, headers, body = answer(sock)
    assert (status, headers["content-type"]) == (413, "application/json")
    assert body == '{"error": "This request is too large: requests are limited to 1 MiB."}'


def test_an_upload_within_the_limits_is_posted(limited_server, make_user):
    from rooms.models import Message

    cookies, token = signed_in(make_user)
    content_type, body = multipart(
        ("message", None, b"two full files"),
        ("client_id", None, b"c-1"),
        ("file", "a.log", b"a" * 2 * MiB),
        ("file", "b.log", b"b" * 2 * MiB),
    )
    with connect(limited_server) as sock:
        sock.sendall(
            head(
                "POST",
                "/rooms/lobby/files/",
                cookies,
                token,
                f"Content-Type: {content_type}",
                f"Content-Length: {len(body)}",
                "Connection: close",
            )
            + body
        )
        status, _, answered = answer(sock)
    assert status == 201
    message = Message.objects.get(pk=int(answered))
    assert message.text == "two full files"
    assert [(a.name, a.size) for a in message.attachments.all()] == [("a.log", 2 * MiB), ("b.log", 2 * MiB)]


def test_an_18_kb_address_is_answered_414_not_dropped(limited_server):
    with connect(limited_server) as sock:
        sock.sendall(head("GET", "/search/?q=" + "a" * 18_000))
        status, headers, body = answer(sock)
    assert (status, headers["connection"]) == (414, "close")
    assert body == "This address is too long: at most 16 KiB."


@pytest.mark.parametrize(
    "headers",
    [
        ["X-Long: " + "b" * 17_000],  # one line past the line limit
        [f"X-Part-{n}: " + "c" * 1_000 for n in range(17)],  # each short, together past the limit
    ],
)
def test_headers_too_large_are_answered_431(headers, limited_server):
    with connect(limited_server) as sock:
        sock.sendall(head("GET", "/healthz", *headers))
        status, _, body = answer(sock)
    assert (status, body) == (431, "This request's headers are too large: at most 16 KiB.")
