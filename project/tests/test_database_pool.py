"""On PostgreSQL a server process keeps its connections in a pool: page
requests and socket frames take one and give it back, instead of opening a
connection (a new PostgreSQL backend process) for each request and each
socket handler's database call.

A daphne process serves a database of its own; PostgreSQL counts the
sessions ever opened to that database (pg_stat_database.sessions, from
PostgreSQL 14 on), which is what each of the two servers below is judged by."""

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from conftest import free_port, missing

ROOT = Path(__file__).resolve().parents[2]
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
REQUESTS = 60
MESSAGES = 60

SIGN_IN = """
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from rooms.models import Room

Room.objects.ensure_lobby()
user = get_user_model().objects.create_user("pooled", password=None)
session = SessionStore()
session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash()})
session.create()
print(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
"""


def _base_url():
    base = os.environ.get("DATABASE_URL", "")
    return base if base.startswith(("postgres://", "postgresql://")) else LOCAL_POSTGRES


@pytest.fixture(scope="module")
def database():
    """A migrated database of its own with one signed-in person: (url, session cookie)."""
    psycopg = pytest.importorskip("psycopg")
    base = _base_url()
    try:
        with psycopg.connect(base, autocommit=True, connect_timeout=5):
            pass
    except psycopg.OperationalError as error:
        missing(f"PostgreSQL is needed for its connection pool: {error}")
    # Named after the base database, so runs sharing a server tell theirs apart.
    name = f"{urlsplit(base).path.lstrip('/') or 'chat'}_pool_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    try:
        env = _env(url)
        for argv in (["manage.py", "migrate", "-v", "0"], ["manage.py", "shell", "-v", "0", "-c", SIGN_IN]):
            result = subprocess.run(
                [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
            )
            assert result.returncode == 0, result.stderr
        yield url, result.stdout.strip().splitlines()[-1]
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(url, **extra):
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PROMETHEUS_", "DATABASE_POOL"))},
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DEBUG": "true",
        "CHAT_LOCAL_ENV": "",
        "REDIS_URL": "",
        "DATABASE_URL": url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CHAT_RATE_LIMIT_MESSAGES": "0",
        "CONN_MAX_AGE": "0",
        **extra,
    }


class Server:
    """daphne serving the app on a free port, as the Procfile's web: does."""

    def __init__(self, url, **extra):
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "project.asgi:application"],
            cwd=ROOT,
            env=_env(url, **extra),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                if self.get("/healthz") == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"daphne did not answer /healthz: {self.process.stderr.read().decode()[-2000:]}")

    def get(self, path):
        with urllib.request.urlopen(self.origin + path, timeout=10) as response:
            return response.status

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def sessions(url):
    """Sessions PostgreSQL has opened to this database since it was made."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_base_url(), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", [name]).fetchone()[0]


def post_messages(server, cookie, count):
    """Post `count` messages through one socket, each after the one before it came back."""
    from websockets.sync.client import connect

    with connect(
        f"ws://127.0.0.1:{server.port}/ws/rooms/lobby/",
        origin=server.origin,
        additional_headers={"Cookie": cookie},
        open_timeout=20,
    ) as socket:
        for k in range(count):
            text = f"pooled message {k}"
            socket.send(json.dumps({"message": text}))
            while text not in socket.recv(timeout=20):
                pass


def opened_while_serving(url, cookie, **extra):
    """Sessions opened while a fresh server answered REQUESTS page requests
    and MESSAGES socket messages (its start and first answer not counted)."""
    server = Server(url, **extra)
    try:
        post_messages(server, cookie, 1)
        before = sessions(url)
        for _ in range(REQUESTS):
            assert server.get("/healthz") == 200
        post_messages(server, cookie, MESSAGES)
        return sessions(url) - before
    finally:
        server.stop()


def test_requests_and_socket_frames_reuse_a_few_pooled_connections(database):
    url, cookie = database
    # At most the pool's size, however many requests and frames.
    assert opened_while_serving(url, cookie, DATABASE_POOL_MIN_SIZE="2", DATABASE_POOL_MAX_SIZE="4") <= 4


def test_without_the_pool_every_request_and_frame_opens_a_connection(database):
    """What the pool saves: the same traffic with it turned off."""
    url, cookie = database
    assert opened_while_serving(url, cookie, DATABASE_POOL_MAX_SIZE="0") >= REQUESTS + MESSAGES
