"""A bot's side of the conversation, for the e2e tests: posting through the
API, and a webhook server that checks the signature and answers."""

import hashlib
import hmac
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def api_post(base_url, slug, token, body, headers=None):
    request = urllib.request.Request(
        f"{base_url}/api/v1/rooms/{slug}/messages/", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class Webhook:
    """The bot's side: checks the signature, answers with what it was asked."""

    def __init__(self, token):
        self.token = token
        self.calls = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(hook.token.encode(), body, hashlib.sha256).hexdigest()
                signed = hmac.compare_digest(self.headers.get("X-Chat-Signature", ""), expected)
                hook.calls.append((signed, json.loads(body)))
                text = json.loads(body)["message"]["text"]
                answer = json.dumps({"text": f"Status for {text.split()[-1]}: all green"}).encode()
                self.send_response(200 if signed else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hook"


@pytest.fixture
def webhook_for():
    started = []

    def start(token):
        hook = Webhook(token)
        threading.Thread(target=hook.httpd.serve_forever, daemon=True).start()
        started.append(hook)
        return hook

    yield start
    for hook in started:
        hook.httpd.shutdown()
        hook.httpd.server_close()
