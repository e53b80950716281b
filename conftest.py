"""Fixtures shared by the unit suite and the e2e suite: a real Redis server, a
real SMTP server, an HTTP server standing in for a bot's webhook."""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

IN_CI = os.environ.get("CI") == "true"


def pytest_configure(config):
    # The unit suites' fixtures need pytest-django, which the e2e suite runs without.
    if config.pluginmanager.hasplugin("django"):
        config.pluginmanager.import_plugin("project.tests.fixtures")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def missing(what):
    """A missing service fails the run in CI and skips locally."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: nothing is skipped for a missing service)", pytrace=False)
    pytest.skip(what)


class RedisServer:
    """A private redis-server on a free port, in its own directory."""

    def __init__(self, binary, port=None):
        self.binary = binary
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = tempfile.TemporaryDirectory()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.workdir.name,
            ],
            stdout=subprocess.DEVNULL,
        )
        if not wait_for_port(self.port, 10):
            pytest.fail("the private redis-server did not start within 10 s", pytrace=False)
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL when set (it must answer), else a private redis-server on a free port."""
    import redis

    url = os.environ.get("REDIS_URL")
    if url:
        try:
            redis.Redis.from_url(url, socket_timeout=2).ping()
        except redis.RedisError as error:
            pytest.fail(f"REDIS_URL={url} does not answer: {error}", pytrace=False)
        yield url
        return
    binary = shutil.which("redis-server")
    if not binary:
        missing("redis-server is not installed (apt-get install redis-server) and REDIS_URL is unset")
    server = RedisServer(binary).start()
    try:
        yield server.url
    finally:
        server.stop()
        server.workdir.cleanup()


@pytest.fixture
async def close_db_connections():
    """Close the connections async code opened in asgiref's worker thread, so
    the test database can be dropped at the end of the run."""
    yield
    from channels.db import database_sync_to_async
    from django.db import connections

    await database_sync_to_async(connections.close_all)()


@pytest.fixture(scope="session")
def tls_redis_url(tmp_path_factory):
    """A private redis-server speaking only TLS with a self-signed certificate,
    as Heroku-style Redis does: rediss://127.0.0.1:<port>/0."""
    binary, openssl = shutil.which("redis-server"), shutil.which("openssl")
    if not binary or not openssl:
        missing("redis-server and openssl are needed for the rediss:// test")
    workdir = tmp_path_factory.mktemp("tls-redis")
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=redis.internal",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--tls-cert-file",
            str(cert),
            "--tls-key-file",
            str(key),
            "--tls-auth-clients",
            "no",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        if not wait_for_port(port, 10):
            pytest.fail("the TLS redis-server did not start within 10 s", pytrace=False)
        yield f"rediss://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


class SmtpInbox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, keeping what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.envelopes = []
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.port = self.controller.port
        self.url = f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self):
        """What arrived, parsed (email.message.EmailMessage), in order."""
        from email import message_from_bytes, policy

        return [message_from_bytes(envelope.content, policy=policy.default) for envelope in self.envelopes]


@pytest.fixture
def smtp_server():
    inbox = SmtpInbox()
    inbox.controller.start()
    yield inbox
    inbox.controller.stop()


class HookServer:
    """A bot's webhook on 127.0.0.1 (a thread): keeps every (headers, raw
    body) it receives and answers with what answer(headers, body) returns,
    (status, content type, bytes)."""

    def __init__(self):
        self.received = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((dict(self.headers), body))
                status, content_type, answer = hook.answer(self.headers, body)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hook"

    def answer(self, headers, body):
        return 200, "text/plain", b""

    def start(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
