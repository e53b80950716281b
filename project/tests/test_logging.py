"""Every log line is printed once, whichever process prints it: the server
as deployed (daphne), the server `make run` starts (runserver), and the
task worker. Each runs as a process of its own with DEBUG on, where
Django's default logging adds a second handler."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def local_env(tmp_path_factory):
    """DEBUG on, as under `make run`, on a migrated database of its own."""
    database = tmp_path_factory.mktemp("logging") / "db.sqlite3"
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": "",
        "DJANGO_SETTINGS_MODULE": "project.settings",
    }
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    return env


def served_log(command, env, port, log_path, last_line):
    """What the server `command` printed while it answered one request for a
    page that does not exist (a 404 is logged as a warning), up to the line
    `last_line(path)` it prints last for that request."""
    missing_path = f"/no-such-page-{uuid.uuid4().hex}"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_for_port(port, 30), "the server did not start within 30 s"
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{missing_path}", timeout=10)
        assert answer.value.code == 404
        deadline = time.monotonic() + 10
        while last_line(missing_path) not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.terminate()
        server.wait(timeout=20)
    return missing_path, log_path.read_text()


@pytest.mark.parametrize("server", ["daphne", "runserver"])
def test_a_request_is_logged_once(server, local_env, tmp_path):
    port = free_port()
    command = {
        "daphne": [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "project.asgi:application"],
        "runserver": [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
    }[server]
    # runserver also logs the request itself, after Django's warning.
    last_line = (lambda path: f"GET {path} 404") if server == "runserver" else (lambda path: f"Not Found: {path}")
    path, output = served_log(command, local_env, port, tmp_path / "server.log", last_line)
    # Django's "Not Found: <path>" (django.request).
    assert output.count(f"Not Found: {path}") == 1, output
    if server == "runserver":
        # And its request line (django.channels.server), once too.
        assert output.count(f"GET {path} 404") == 1, output


def test_a_task_is_logged_once_by_the_worker(local_env):
    enqueue = (
        "from notifications.tasks import email_unread_mentions_and_dms; "
        "print(email_unread_mentions_and_dms.enqueue(user_id=2**31).id)"
    )
    queued = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", enqueue],
        cwd=ROOT,
        env=local_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert queued.returncode == 0, queued.stderr
    task_id = queued.stdout.split()[-1]
    worker = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=ROOT,
        env=local_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = worker.stdout + worker.stderr
    assert worker.returncode == 0, output
    # django.tasks says when the task starts and how it ended: once each.
    assert output.count(f"Task id={task_id} ") == 2, output
    assert output.count("state=SUCCESSFUL") == 1, output
