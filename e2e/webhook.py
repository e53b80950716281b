"""A bot's side of the conversation, for the e2e tests: posting through the
API, and a webhook server that checks the signature and answers."""

import hashlib
import hmac
import json
import urllib.error
import urllib.request

import pytest

from conftest import HookServer


def api_post(base_url, slug, token, body, headers=None):
    status, _, answer = api_call(
        base_url, f"/api/v1/rooms/{slug}/messages/", token, json.dumps(body).encode(), headers=headers
    )
    return status, answer


def api_call(base_url, path, token, data=None, method="POST", headers=None):
    """(status, content type, the JSON answer) for any request to the API."""
    request = urllib.request.Request(
        base_url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())


class Webhook(HookServer):
    """The bot's side: checks the signature, answers with what it was asked."""

    def __init__(self, token):
        super().__init__()
        self.token = token
        self.calls = []  # (signed as docs/bots-api.md says, payload)

    def answer(self, headers, body):
        expected = "sha256=" + hmac.new(self.token.encode(), body, hashlib.sha256).hexdigest()
        signed = hmac.compare_digest(headers.get("X-Chat-Signature", ""), expected)
        self.calls.append((signed, json.loads(body)))
        text = json.loads(body)["message"]["text"]
        answer = json.dumps({"text": f"Status for {text.split()[-1]}: all green"}).encode()
        return 200 if signed else 401, "application/json", answer


@pytest.fixture
def webhook_for():
    """webhook_for(token): a Webhook of this test's own, stopped at its end."""
    started = []

    def start(token):
        hook = Webhook(token).start()
        started.append(hook)
        return hook

    yield start
    for hook in started:
        hook.stop()
