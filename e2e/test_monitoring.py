"""GET /metrics as Prometheus scrapes it, and LOG_FORMAT=json as a log
shipper reads it (docs/monitoring.md), on real daphne processes.

Two servers and a task worker share one PROMETHEUS_MULTIPROC_DIR, as the
processes of one host do: a scrape of either counts the work of all three.
"""

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import HookServer, free_port
from e2e.conftest import ROOT, wait_until_healthy
from project.trial import stop_process

TOKEN = "scrape-" + uuid.uuid4().hex
WAIT_SECONDS = 15


def scrape(server, authorization=f"Bearer {TOKEN}"):
    """(status, body) of GET /metrics."""
    request = urllib.request.Request(
        f"{server.url}/metrics", headers={"Authorization": authorization} if authorization else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def value(server, name, **labels):
    """The sum of the samples `name` (with these labels) in one scrape; 0 if none."""
    status, body = scrape(server)
    assert status == 200, body
    return sum(
        sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def until(server, name, expected, **labels):
    """Scrape until `name` is `expected` (a value, or a test of the value); returns it."""
    deadline = time.monotonic() + WAIT_SECONDS
    test = expected if callable(expected) else (lambda found: found == expected)
    while not test(found := value(server, name, **labels)):
        assert time.monotonic() < deadline, f"{name}{labels} stayed at {found}"
        time.sleep(0.1)
    return found


def session_cookie(username):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.create_user(username, password=f"pw-{username}-e2e"))
    return f"sessionid={client.cookies['sessionid'].value}"


class Sockets:
    """Room sockets of one signed-in person, driven from the test's thread
    through an event loop in a thread of its own: Playwright's sync API,
    when a browser test ran earlier in this process, holds a running loop in
    the test's thread, where another loop cannot run."""

    def __init__(self, cookie):
        self.cookie, self.loop, self.open = cookie, asyncio.new_event_loop(), []
        self.thread = ThreadPoolExecutor(1)

    def run(self, awaitable):
        return self.thread.submit(self.loop.run_until_complete, awaitable).result()

    def connect(self, server, path="/ws/rooms/lobby/"):
        import websockets

        async def connect():
            return await websockets.connect(
                f"ws://127.0.0.1:{server.port}{path}", additional_headers={"Cookie": self.cookie, "Origin": server.url}
            )

        socket = self.run(connect())
        self.open.append(socket)
        return socket

    def send_until(self, socket, frame, seen):
        """Send `frame`, then read until a frame holds `seen`."""

        async def exchange():
            await socket.send(frame)
            async with asyncio.timeout(WAIT_SECONDS):
                while seen not in await socket.recv():
                    pass

        self.run(exchange())

    def close(self, socket):
        self.run(socket.close())
        self.open.remove(socket)

    def close_all(self):
        for socket in list(self.open):
            self.close(socket)
        self.thread.submit(self.loop.close).result()
        self.thread.shutdown()


@pytest.fixture
def host(server_with, worker_with, tmp_path):
    """Two servers and a worker of one host, with metrics on."""
    env = {
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "CHAT_WEBHOOK_ALLOW_PRIVATE": "true",
        "CHAT_TASK_RETRY_BASE_SECONDS": "3600",
    }
    first, second = server_with(**env), server_with(**env)
    worker = worker_with(**env, REDIS_URL=first.env["REDIS_URL"])
    return first, second, worker


@pytest.fixture
def sockets():
    opened = []

    def open_for(username):
        made = Sockets(session_cookie(username))
        opened.append(made)
        return made

    yield open_for
    for made in opened:
        made.close_all()


def test_metrics_need_the_token(host, server):
    first = host[0]
    assert scrape(first)[0] == 200
    assert scrape(first, authorization=None)[0] == 404
    assert scrape(first, authorization=f"Bearer {TOKEN}x")[0] == 404
    assert scrape(first, authorization=TOKEN)[0] == 404
    # A server without METRICS_TOKEN has no metrics for anyone.
    assert scrape(server, authorization="Bearer ")[0] == 404
    assert scrape(server)[0] == 404


def test_the_sockets_gauge_follows_open_sockets_across_processes(host, sockets):
    first, second, _worker = host
    alice = sockets("alice")
    on_first = [alice.connect(first), alice.connect(first)]
    alice.connect(second)
    until(first, "chat_open_sockets", 3)
    assert value(second, "chat_open_sockets") == 3  # either process answers for the host
    alice.close(on_first[0])
    until(second, "chat_open_sockets", 2)
    # A process that dies without cleaning up takes its sockets with it.
    second.kill()
    until(first, "chat_open_sockets", 1)


def test_counters_move_with_the_work_done(host, sockets):
    from django.test import override_settings

    from integrations.models import Bot
    from rooms.models import Room

    first, second, _worker = host
    failing = HookServer()
    failing.answer = lambda headers, body: (503, "text/plain", b"down for maintenance")
    failing.start()
    try:
        with override_settings(CHAT_WEBHOOK_ALLOW_PRIVATE=True):
            Bot.objects.create_bot("hookbot", rooms=[Room.objects.get(slug="lobby")], webhook_url=failing.url)
        alice, bob = sockets("alice"), sockets("bob")
        sender, reader = alice.connect(first), bob.connect(second)
        posted = value(first, "chat_messages_posted_total")
        delivered = value(first, "chat_live_deliveries_total")
        measured = value(first, "chat_delivery_latency_seconds_count")

        alice.send_until(sender, json.dumps({"message": "metrics, are you there? @hookbot"}), "metrics, are you there")
        bob.run(asyncio.wait_for(reader.recv(), WAIT_SECONDS))
        until(first, "chat_messages_posted_total", posted + 1)
        # Both sockets got it, one on each server: two deliveries, each process measured its own.
        until(first, "chat_live_deliveries_total", delivered + 2)
        until(first, "chat_delivery_latency_seconds_count", measured + 2)
        assert value(first, "chat_delivery_latency_seconds_bucket", le="+Inf") >= measured + 2

        alice.send_until(sender, "this is not JSON", "not valid JSON")
        until(first, "chat_frames_refused_total", 1, reason="malformed")
        alice.send_until(sender, json.dumps({"sync": {"after": 0, "known": []}}), "metrics, are you there")
        until(first, "chat_catch_ups_total", 1, result="sent")

        # The mention queued the bot's webhook (web process); the worker's attempt failed (worker process).
        task = "integrations.tasks.deliver_webhook"
        until(first, "chat_tasks_queued_total", lambda found: found >= 1, task=task)
        until(first, "chat_tasks_failed_total", 1, task=task)
        assert failing.received  # the worker did call it
        assert value(first, "chat_http_request_duration_seconds_count", view="healthz") >= 1
    finally:
        failing.stop()


def json_lines(log_path):
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]


@pytest.fixture
def procfile_web(server_env, private_redis, tmp_path):
    """The Procfile's web: line as a platform runs it, with LOG_FORMAT=json:
    (its URL, its log)."""
    command = next(
        line.removeprefix("web:").strip()
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )
    port, log_path = free_port(), tmp_path / "web.log"
    env = {
        **server_env,
        "REDIS_URL": private_redis.url,
        "LOG_FORMAT": "json",
        "PORT": str(port),
        "BIND_ADDRESS": "127.0.0.1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url, log_path
    finally:
        stop_process(process)


def test_json_logs_tie_a_request_s_error_line_to_its_request(procfile_web, private_redis):
    url, log_path = procfile_web
    missing_path = f"/no-such-page-{uuid.uuid4().hex}"
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(f"{url}{missing_path}", timeout=10)
    request_id = answer.value.headers["X-Request-ID"]
    # The channel layer's Redis goes away: the health check's failure is logged with its traceback.
    private_redis.stop()
    with pytest.raises(urllib.error.HTTPError) as unhealthy:
        urllib.request.urlopen(f"{url}/healthz", timeout=10)
    assert unhealthy.value.code == 503
    failed_id = unhealthy.value.headers["X-Request-ID"]

    # Every line the server wrote, daphne's own included, is one JSON object.
    lines = json_lines(log_path)
    assert any(line["logger"].startswith("daphne") for line in lines)
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    [not_found] = [line for line in lines if line.get("request_id") == request_id]
    assert not_found["message"] == f"Not Found: {missing_path}" and not_found["level"] == "WARNING"
    failure = next(line for line in lines if line.get("request_id") == failed_id and "exception" in line)
    assert failure["logger"] == "core.health" and "channel_layer" in failure["message"]
