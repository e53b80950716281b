"""A push service the tests run (a local HTTP server on 127.0.0.1) and a
browser's side of a subscription: its keys, made here, decrypt what the
service receives, as the browser would."""

import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from push import vapid


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class PushService:
    """Keeps every (path, headers, raw body) POSTed to it; answers `status`."""

    def __init__(self):
        self.received = []
        self.status = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.received.append((self.path, dict(self.headers), body))
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Browser:
    """One browser's subscription: the keys it keeps, the JSON it gives the page."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def to_json(self):
        point = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}

    def read(self, body):
        """A push's payload, decrypted with this browser's keys (aes128gcm)."""
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


@pytest.fixture
def push_on(settings):
    """VAPID keys of this test's own, and a push service on 127.0.0.1 allowed."""
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = vapid.new_pair()
    settings.CHAT_PUSH_ALLOW_PRIVATE = True
    settings.CHAT_BASE_URL = "https://chat.example.com"
    return settings


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.stop()


@pytest.fixture
def browser_of(push_service):
    """browser_of(name): a browser subscribed at the push service (not saved yet)."""
    return lambda name: Browser(f"{push_service.origin}/send/{name}")


@pytest.fixture
def device(push_on, client, browser_of):
    """device(user, name=username): a browser of `user`, subscribed through the page's POST."""

    def subscribe(user, name=None):
        browser = browser_of(name or user.get_username())
        client.force_login(user)
        answer = client.post("/push/subscriptions/", browser.to_json(), content_type="application/json",
                             headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36"})
        assert answer.status_code == 201, answer.content
        client.logout()
        return browser

    return subscribe
