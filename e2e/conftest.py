"""End-to-end fixtures: a real daphne server on a file or PostgreSQL database,
and Debian's Chromium driven by Playwright.

Run this suite on its own, without pytest-django: `make test-e2e`, or
`python -m pytest e2e -p no:django -p no:asyncio`.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import RedisServer, free_port, missing
from project.trial import stop_process

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
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
        from urllib.parse import urlsplit, urlunsplit

        import psycopg

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
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "project.asgi:application"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_healthy(self.url, self.process)
        except RuntimeError as error:
            self.stop()
            raise RuntimeError(f"{error}\n--- server log ---\n{self.log_path.read_text()[-4000:]}") from None
        return self

    def stop(self):
        stop_process(self.process)

    def kill(self):
        """SIGKILL: no disconnect() runs, nothing is cleaned up."""
        self.process.kill()
        self.process.wait()

    def freeze(self):
        """SIGSTOP: sockets stay open but nothing sent to this server is handled."""
        self.process.send_signal(signal.SIGSTOP)


class TaskWorker:
    """The Procfile's worker: (manage.py db_worker) beside a server, polling often."""

    def __init__(self, env, log_dir):
        self.env = env
        self.log_path = Path(log_dir) / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--queue-name",
                    "*",
                    "--no-reload",
                    "--interval",
                    "0.1",
                    "--no-startup-delay",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    def log(self):
        return self.log_path.read_text()

    def stop(self):
        stop_process(self.process)


@pytest.fixture
def worker_with(server_env, tmp_path):
    """worker_with(**env): a task worker of this test's own (settings differ
    by `env`), on the e2e database; stopped at the end of the test."""
    started = []

    def start(**env):
        worker = TaskWorker({**server_env, **env}, tmp_path).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


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
        # Every test signs in from 127.0.0.1, hundreds in a run: the login and
        # sign-up limits are tested on a server of their own (strict_server).
        "CHAT_LOGIN_ATTEMPTS": "100000",
        # Uploaded files (e2e/test_files.py) stay out of the checkout.
        "MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
    }


@pytest.fixture(scope="session")
def server(server_env, tmp_path_factory):
    srv = Server(server_env, tmp_path_factory.mktemp("logs")).start()
    yield srv
    srv.stop()


@pytest.fixture
def strict_server(server_env, tmp_path):
    """A server with the default login and sign-up limits, counting on its
    own (in-memory) cache so its lockouts end with it."""
    env = {**server_env, "REDIS_URL": "", "CHAT_LOGIN_ATTEMPTS": "5", "CHAT_LOGIN_WINDOW_SECONDS": "900"}
    srv = Server(env, tmp_path).start()
    yield srv
    srv.stop()


@pytest.fixture
def server_with(server_env, tmp_path, private_redis):
    """server_with(**env): a daphne server of this test's own whose settings
    differ by `env` (strings, as in the environment), on a Redis of this
    test's own: a server stopped under open sockets leaves their presence
    entries behind, and "Here now" in later tests would show those ghosts
    until they expire. Stopped at the end of the test."""
    started = []

    def start(**env):
        srv = Server({**server_env, "REDIS_URL": private_redis.url, **env}, tmp_path).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
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
    from django.db import connections

    from rooms.models import Message, Room

    def clean():
        try:
            Message.objects.all().delete()
            Room.objects.exclude(slug="lobby").delete()
            get_user_model().objects.all().delete()
            Room.objects.ensure_lobby()
        finally:
            connections.close_all()

    # In a thread of its own: the deletions' on-commit broadcasts use
    # async_to_sync, which refuses the thread Playwright's event loop runs in.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(clean).result()


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
    server); options (viewport, color_scheme, locale, timezone_id...) go to
    browser.new_context."""
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


def admin_room_action(staff, action):
    """Run one of the Rooms changelist's actions ("archive", "unarchive") on
    the only room there, as staff do in the admin."""
    staff.goto("/admin/rooms/room/")
    staff.check("#result_list input[name=_selected_action]")
    staff.select_option("select[name=action]", action)
    staff.click("button[name=index]")


def open_room(context, slug="lobby"):
    """A new tab on the room page, its socket open."""
    page = context.new_page()
    page.goto(f"/rooms/{slug}/")
    page.wait_for_selector('#room[data-ws="open"]', timeout=10_000)
    return page


def fill_signup(page, username, password1="a-good-long-password-1", password2=None):
    """Fills a sign-up form (first run, invitation, open sign-up)."""
    page.fill("input[name=username]", username)
    page.fill("input[name=password1]", password1)
    page.fill("input[name=password2]", password1 if password2 is None else password2)


def send(page, text):
    page.fill("#message-form [name=message]", text)
    page.press("#message-form [name=message]", "Enter")


def message_with(page, text):
    return page.locator("#messages .message", has=page.locator(".message-body", has_text=text))


def is_touch(page):
    """Whether `page` is on a touch screen (no hovering), as the stylesheet asks."""
    return page.evaluate("matchMedia('(hover: none), (pointer: coarse)').matches")


def message_action(page, message, action):
    """The button of `action` ("reply", "react", "copy-link", "edit",
    "delete") for `message`, reached as its reader reaches it: in the toolbar
    that hovering shows, or in the message's sheet, opened by tapping the
    message on a touch screen or with its "⋯" where the history is narrow."""
    if is_touch(page):
        message.locator(".message-body").tap()
        return page.locator(f'.message-sheet button[data-action="{action}"]')
    message.hover()
    menu = message.locator(".message-menu-button")
    if menu.is_visible():
        menu.click()
        return page.locator(f'.message-sheet button[data-action="{action}"]')
    return message.locator(f'button[data-action="{action}"]')


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


# Accessibility: axe-core (pinned in e2e/package.json, vendored by
# scripts/vendor-axe) run inside the page against WCAG 2 A and AA.
AXE_SOURCE = (ROOT / "e2e" / "vendor" / "axe.min.js").read_text()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_FAILING = ("serious", "critical")
# What every scan reported (page state, violations), printed at the end of the run.
AXE_SCANS = []


def axe_violations(page):
    """axe's violations on the page as it is now. Evaluated through the
    DevTools protocol, which the page's CSP (script-src 'self') does not
    govern, so the real policy stays on while scanning."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
            }));
        }""",
        AXE_TAGS,
    )


def assert_accessible(page, where):
    """Fails on any serious or critical axe violation on the current page,
    naming the rule, the elements and axe's help; `where` labels the state
    scanned (page, theme, viewport) in the message and the run's summary."""
    # Judged as people see it: styled, so after the document's stylesheets
    # have loaded (a heading can be visible in the DOM before they apply).
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    AXE_SCANS.append((where, violations))
    failing = [v for v in violations if v["impact"] in AXE_FAILING]
    assert not failing, f"axe found on {where}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>\n"
        + "\n".join(f"    {n['target']}: {n['summary']}" for n in v["nodes"])
        for v in failing
    )


# The ways people see the product: the accessibility scan, the layout tests
# and `make screenshots` all go through these.
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
LOOKS = {
    "desktop": {"viewport": DESKTOP},
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
    "dark": {"viewport": DESKTOP, "color_scheme": "dark"},
}
for _look in LOOKS.values():
    # Times on screen do not depend on the machine (screenshots).
    _look.update(locale="en-GB", timezone_id="UTC")


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots",
        metavar="DIR",
        default=None,
        help="the layout tests also save PNGs of what they check into DIR (make screenshots)",
    )


@pytest.fixture
def screenshot(request):
    """screenshot(page, name): saves DIR/name.png with --screenshots DIR, else nothing."""
    folder = request.config.getoption("--screenshots")

    def take(page, name):
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=Path(folder) / f"{name}.png", animations="disabled", caret="hide")

    return take


# A morning in a busy room: several people, a link, a long word, lines.
CONVERSATION = [
    ("bob", "Morning all! The 2.4 release is planned for 15:00 today."),
    ("carol", "Morning. I'm still reviewing the migration for the audit log, should be done before lunch."),
    ("alice", "Great. Anything blocking on the mobile side?"),
    ("dan", "Push notifications on Android 14 need one more fix, PR is up."),
    ("dan", "https://git.example.com/chat/mobile/pull/1842/files#diff-7c1a0b3f9e2d4a6b8c0e1f2a3b4c5d6e7f8a9b0c"),
    ("bob", "Thanks, I'll review it after standup."),
    ("carol", "Reminder: the staging database is read-only between 13:00 and 13:30 for the snapshot."),
    (
        "alice",
        "Noted. Release checklist:\n1. freeze main at 14:00\n"
        "2. run the smoke suite\n3. deploy and watch the dashboards",
    ),
    ("bob", "Someone named a feature flag enable_experimental_threaded_replies_in_archived_rooms_v2 😅"),
    ("carol", "Guilty. I'll rename it."),
    ("dan", "Android fix merged, build 2.4.0-rc3 is on the internal track."),
    ("alice", "Perfect, thanks everyone. See you at 15:00 in #releases."),
]


def seed_conversation(room, start=None):
    """Posts CONVERSATION in `room` through the ORM (no broadcast: no page is
    open yet), a minute or two apart, creating its authors; returns them."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from rooms.models import Message

    User = get_user_model()
    users = {}
    # Yesterday from 09:12 (UTC): a working morning whenever the suite runs.
    yesterday = timezone.now().astimezone(datetime.UTC) - datetime.timedelta(days=1)
    when = start or yesterday.replace(hour=9, minute=12, second=0, microsecond=0)
    for n, (name, text) in enumerate(CONVERSATION):
        if name not in users:
            users[name] = User.objects.filter(username=name).first() or User.objects.create_user(
                name, password=f"pw-{name}-e2e"
            )
        message = Message.objects.create(room=room, author=users[name], text=text)
        Message.objects.filter(pk=message.pk).update(created_at=when + datetime.timedelta(minutes=3 * n))
    return users


def direct_conversation(starter, *others, text="Can you look at the release notes before 3?"):
    """The conversation of these people (usernames, existing or made), with
    one message from the first of `others` (saved, not broadcast)."""
    from django.contrib.auth import get_user_model

    from rooms.models import Message, conversation_between

    users = {name: get_user_model().objects.get_or_create(username=name)[0] for name in (starter, *others)}
    room, _ = conversation_between(users[starter], [users[name] for name in others])
    Message.objects.create(room=room, author=users[others[0]], text=text)
    return room


def assert_no_horizontal_scroll(page):
    widths = page.evaluate("[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways at {page.url}: {widths[0]} px wide in {widths[1]}"


def pytest_terminal_summary(terminalreporter):
    if AXE_SCANS:
        terminalreporter.section("accessibility scan (axe-core)")
        found = [(where, v) for where, violations in AXE_SCANS for v in violations]
        terminalreporter.write_line(f"{len(AXE_SCANS)} page states scanned, {len(found)} violations of any impact")
        for where, v in found:
            targets = ", ".join(n["target"] for n in v["nodes"])
            terminalreporter.write_line(f"{where}: {v['id']} ({v['impact']}) {v['help']}: {targets}")
    if MEASURED:
        terminalreporter.section("measured")
        for what, figures in MEASURED:
            terminalreporter.write_line(f"{what}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
