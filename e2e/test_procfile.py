"""The Procfile as a deploy runs it: honcho (a Procfile runner from PyPI)
against PostgreSQL and Redis with production settings (DEBUG off, static
files collected): `release:` first, then `web:` and `worker:`. A bot's API
message reaches an open page, and a task completes on the worker (a
mention of the bot calls its webhook; the answer appears on the page)."""

import json
import os
import signal
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import free_port, missing
from e2e.conftest import ROOT, message_with, open_room, send, wait_until_healthy
from e2e.webhook import api_post, webhook_for  # noqa: F401  (a fixture)

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
# A webhook round trip on a worker that polls every second, then the broadcast.
WORKER_TIMEOUT_MS = 20_000
ROUTER = {"X-Forwarded-Proto": "https"}


@pytest.fixture
def postgres_url():
    """A fresh database on the PostgreSQL server the e2e run uses (or the local one)."""
    import psycopg

    base = os.environ.get("E2E_DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = LOCAL_POSTGRES
    name = f"chat_procfile_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(base, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        missing(f"PostgreSQL is needed for the Procfile test: {error}")
    yield urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def deploy_env(postgres_url, private_redis):
    """What a platform sets: production settings, its PostgreSQL and Redis,
    the venv's python and daphne first on PATH (as a buildpack's are)."""
    port = free_port()
    return port, {
        **{name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "E2E_"))},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DEBUG": "false",
        "SECRET_KEY": "procfile-test-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": postgres_url,
        "REDIS_URL": private_redis.url,
        "CHAT_BASE_URL": f"https://localhost:{port}",
        # A platform's router ends TLS and says so in X-Forwarded-Proto, which
        # the test's requests send as it would; the page's origin is plain HTTP.
        "TRUST_PROXY_HEADERS": "true",
        "CSRF_TRUSTED_ORIGINS": f"http://localhost:{port}",
        "CHAT_WEBHOOK_ALLOW_PRIVATE": "true",
        # The Procfile's web: listens on every interface unless told otherwise.
        "BIND_ADDRESS": "127.0.0.1",
    }


def honcho(env, *args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "honcho", "--no-colour", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def deployed(deploy_env, tmp_path):
    """collectstatic (the build), `release:`, then `web:` and `worker:` under honcho."""
    port, env = deploy_env
    build = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    release = honcho(env, "start", "release", timeout=300)
    assert release.returncode == 0, release.stdout + release.stderr
    log_path = tmp_path / "honcho.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "honcho", "--no-colour", "start", "-p", str(port), "web", "worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://localhost:{port}"
    try:
        wait_until_healthy(url, process, timeout=60)
    except RuntimeError as error:
        os.killpg(process.pid, signal.SIGKILL)
        raise RuntimeError(f"{error}\n{log_path.read_text()[-4000:]}") from None
    yield url, env, log_path
    process.send_signal(signal.SIGTERM)  # honcho stops web and worker
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_procfile_runs_release_web_and_worker_as_deployed(deployed, sign_in, webhook_for):  # noqa: F811
    url, env, log_path = deployed
    port = url.rsplit(":", 1)[1]
    procfile = (ROOT / "Procfile").read_text()
    assert "worker: python manage.py db_worker" in procfile
    # /healthz is exempt from the HTTPS redirect: platforms probe it over plain HTTP.
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
        assert json.loads(response.read())  # the database and the channel layer answer

    people = honcho(
        env,
        "run",
        "python",
        "manage.py",
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model as u; "
        "u().objects.create_user('alice', password='pw-alice-e2e')",
    )
    assert people.returncode == 0, people.stderr
    made = honcho(env, "run", "python", "manage.py", "create_bot", "procbot", "--room", "lobby")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]

    # The sign_in fixture's login page, through the router.
    page = open_room(sign_in("alice", server=SimpleNamespace(url=url), extra_http_headers=ROUTER))
    status, answer = api_post(url, "lobby", token, {"text": "Released v42"}, headers=ROUTER)
    assert status == 201 and answer["url"] == f"https://localhost:{port}/rooms/lobby/messages/{answer['id']}/"
    message_with(page, "Released v42").wait_for(timeout=5_000)

    hook = webhook_for(token)
    hooked = honcho(
        env,
        "run",
        "python",
        "manage.py",
        "shell",
        "-c",
        f"from integrations.models import Bot; Bot.objects.filter(name='procbot').update(webhook_url='{hook.url}')",
    )
    assert hooked.returncode == 0, hooked.stderr
    send(page, "@procbot status production")
    try:
        message_with(page, "Status for production: all green").wait_for(timeout=WORKER_TIMEOUT_MS)
    except PlaywrightTimeout:
        raise AssertionError(f"the worker's answer did not appear:\n{log_path.read_text()[-4000:]}") from None
    done = honcho(
        env,
        "run",
        "python",
        "manage.py",
        "shell",
        "-c",
        "from django_tasks_db.models import DBTaskResult as R; "
        "print(R.objects.filter(status='SUCCESSFUL', task_path='integrations.tasks.deliver_webhook').count())",
    )
    assert done.stdout.strip().splitlines()[-1] == "1", done.stdout + done.stderr
