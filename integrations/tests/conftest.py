import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@pytest.fixture
def bot_and_token(db, lobby):
    from integrations.models import Bot

    return Bot.objects.create_bot("deploybot", rooms=[lobby])


@pytest.fixture
def bot(bot_and_token):
    return bot_and_token[0]


@pytest.fixture
def token(bot_and_token):
    return bot_and_token[1]


class WebhookServer:
    """A bot's webhook on 127.0.0.1: records what it receives, answers as told."""

    def __init__(self):
        self.received = []  # (headers, raw body)
        self.answers = []  # (status, content type, body) used in order; the last one repeats
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.received.append((dict(self.headers), body))
                status, content_type, answer = server.answers.pop(0) if len(server.answers) > 1 else server.answers[0]
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hook"
        self.answer_json({"text": "on it"})

    def answer_json(self, data, status=200):
        self.answers = [(status, "application/json", json.dumps(data).encode())]

    def payloads(self):
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def webhook_server(settings):
    settings.CHAT_WEBHOOK_ALLOW_PRIVATE = True
    settings.CHAT_WEBHOOK_TIMEOUT_SECONDS = 5
    server = WebhookServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
