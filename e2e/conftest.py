"""End-to-end fixtures: a real daphne server on a file or PostgreSQL database,
and Debian's Chromium driven by Playwright.

Run this suite on its own, without pytest-django: `make test-e2e`, or
`python -m pytest e2e -p no:django -p no:asyncio`.
"""

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import RedisServer, free_port, missing

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
# How long anything live may take to show up in a tab.
LIVE_TIMEOUT_MS = 2000


def pytest_configure(config):
    if config.pluginmanager.hasplugin("django"):
        raise pytest.UsageError(
            "Run the e2e suite without pytest-django: python -m pytest e2e -p no:django -p no:asyncio"
        )
    database_url, cleanup = _create_database()
    config._e2e_database_cleanup = cleanup
    os.environ["E2E_DATABASE_URL"] = database_url
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    # Playwright's sync API runs an event loop in the test thread; the ORM
    # calls the tests make to set up users and rooms are plain sync calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def pytest_unconfigure(config):
    from django.db import connections

    connections.close_all()
    cleanup = getattr(config, "_e2e_database_cleanup", None)
    if cleanup:
        cleanup()


def _create_database():
    """A fresh database for this run: on the PostgreSQL server of DATABASE_URL, else a SQLite file."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        import psycopg
        from urllib.parse import urlsplit, urlunsplit

        name = f"chat_e2e_{uuid.uuid4().hex[:10]}"
        parts = urlsplit(base)
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop():
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return urlunsplit(parts._replace(path=f"/{name}")), drop
    workdir = tempfile.TemporaryDirectory(prefix="chat-e2e-")
    return f"sqlite:///{workdir.name}/e2e.sqlite3", workdir.cleanup


def wait_until_healthy(url, process, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url}/healthz did not answer 200 within {timeout} s")


class Server:
    """One daphne process serving the app, as in production (Procfile)."""

    def __init__(self, env, log_dir, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log_path = Path(log_dir) / f"daphne-{self.port}.log"
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "project.asgi:application"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            wait_until_healthy(self.url, self.process)
        except RuntimeError as error:
            self.stop()
            raise RuntimeError(f"{error}\n--- server log ---\n{self.log_path.read_text()[-4000:]}") from None
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self):
        """SIGKILL: no disconnect() runs, nothing is cleaned up."""
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="session")
def server_env(tmp_path_factory):
    """The environment every e2e server process gets."""
    redis_url = os.environ.get("REDIS_URL", "")
    return {
        **os.environ,
        "DATABASE_URL": os.environ["E2E_DATABASE_URL"],
        "REDIS_URL": redis_url,
        "DEBUG": "true",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
    }


@pytest.fixture(scope="session")
def server(server_env, tmp_path_factory):
    srv = Server(server_env, tmp_path_factory.mktemp("logs")).start()
    yield srv
    srv.stop()


@pytest.fixture
def private_redis():
    """A Redis of this test's own, which it may stop and start again."""
    import shutil

    binary = shutil.which("redis-server")
    if not binary:
        missing("redis-server is not installed (apt-get install redis-server)")
    redis = RedisServer(binary).start()
    yield redis
    redis.stop()
    redis.workdir.cleanup()


@pytest.fixture
def cluster(server_env, private_redis, tmp_path):
    """Two daphne processes sharing one Redis and one database, as when
    scaling out. Presence expires fast here so a test can watch it."""
    env = {**server_env, "REDIS_URL": private_redis.url, "CHAT_PRESENCE_TTL": "3", "CHAT_PRESENCE_HEARTBEAT": "1"}
    servers = [Server(env, tmp_path).start(), Server(env, tmp_path).start()]
    yield servers
    for srv in servers:
        srv.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def clean_data():
    """Every test starts from the migrated state: the lobby, no users, no messages."""
    yield
    from django.contrib.auth import get_user_model

    from rooms.models import Message, Room

    Message.objects.all().delete()
    Room.objects.exclude(slug="lobby").delete()
    get_user_model().objects.all().delete()
    Room.objects.ensure_lobby()


@pytest.fixture
def make_user():
    from django.contrib.auth import get_user_model

    def make(username, **extra):
        return get_user_model().objects.create_user(username, password=f"pw-{username}-e2e", **extra)

    return make


@pytest.fixture
def sign_in(browser, request):
    """sign_in(username, server=None, **context_options) -> a browser context
    signed in through the login page of `server` (default: the session's
    server); options such as locale or timezone_id go to new_context."""
    contexts = []

    def sign_in(username, server=None, **context_options):
        server = server or request.getfixturevalue("server")
        context = browser.new_context(base_url=server.url, **context_options)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", f"pw-{username}-e2e")
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        page.close()
        return context

    yield sign_in
    for context in contexts:
        context.close()


@pytest.fixture
def staff(make_user, sign_in):
    """A superuser's tab, signed in, for the admin."""
    make_user("staff", is_staff=True, is_superuser=True)
    return sign_in("staff").new_page()


def open_room(context, slug="lobby"):
    """A new tab on the room page, its socket open."""
    page = context.new_page()
    page.goto(f"/rooms/{slug}/")
    page.wait_for_selector('#room[data-ws="open"]', timeout=10_000)
    return page


def send(page, text):
    page.fill("#message-form [name=message]", text)
    page.press("#message-form [name=message]", "Enter")


def message_with(page, text):
    return page.locator("#messages .message", has=page.locator(".message-body", has_text=text))


# page.evaluate(HIDE, True) makes the page believe its tab went to the
# background (as switching tabs does); HIDE, False brings it back.
HIDE = """hidden => {
  Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => hidden ? "hidden" : "visible"});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def bodies(page):
    return page.locator("#messages .message-body")


# What the fault tests measured, printed at the end of the run.
MEASURED = []


@pytest.fixture
def measure():
    def record(what, **figures):
        MEASURED.append((what, figures))

    return record


def pytest_terminal_summary(terminalreporter):
    if MEASURED:
        terminalreporter.section("fault recovery measured")
        for what, figures in MEASURED:
            terminalreporter.write_line(f"{what}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
