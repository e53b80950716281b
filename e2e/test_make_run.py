"""`make run` as a team trial, typed as the README says in a copy of this
checkout (its files and its installed venv, in a terminal's environment:
nothing of the chat's settings): a bot's webhook answer appears live on an
open page, through a private Redis and without one, everything stops with
Ctrl+C, and every `make` and `manage.py` command of the README and the docs
pages in PAGES works as written in the checkout `make run` set up."""

import fcntl
import os
import pty
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import termios
import time
import urllib.request

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from conftest import free_port, missing
from e2e.conftest import ROOT, fill_signup, message_with, send, wait_until_healthy
from e2e.test_bots import WEBHOOK_TIMEOUT_MS
from e2e.webhook import Webhook

# The pages whose commands are run as written. docs/bots-api.md is not
# among them: its create_bot names an example webhook host.
PAGES = [
    ROOT / "README.md",
    *(
        ROOT / "docs" / name
        for name in (
            "index.md",
            "using.md",
            "deploying.md",
            "configuration.md",
            "security.md",
            "performance.md",
            "testing.md",
        )
    ),
]
# The venv is installed already: make is told not to remake it (-o), which
# a first `make run` on a fresh machine would do.
MAKE = ["make", "-o", ".venv/.installed"]
# From Ctrl+C to every process of the trial gone.
STOP_TIMEOUT = 30


def copy_checkout(dest):
    """The checkout's files as git sees them (committed or not, ignored ones
    left out), and its venv."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    (dest / ".venv").symlink_to((ROOT / ".venv").resolve())
    return dest


def terminal_env(**extra):
    """A terminal's environment on a fresh machine: no DEBUG, SECRET_KEY,
    DATABASE_URL, REDIS_URL or any other setting of the chat."""
    names = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER")
    kept = {name: os.environ[name] for name in names if name in os.environ}
    return {**kept, **extra}


class Trial:
    """`make run` in `checkout`, on 127.0.0.1 and a free port, with a
    webhook on 127.0.0.1 allowed (the test's bot lives there)."""

    def __init__(self, checkout, log_path, *make_args):
        self.checkout = checkout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [*MAKE, "run", "HOST=127.0.0.1", f"PORT={self.port}", *make_args],
                cwd=checkout,
                env=terminal_env(CHAT_WEBHOOK_ALLOW_PRIVATE="true"),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_until_healthy(self.url, self.process, timeout=180)
        except RuntimeError as error:
            self.kill()
            raise RuntimeError(f"{error}\n{self.log()[-4000:]}") from None

    def log(self):
        return self.log_path.read_text()

    def settings(self):
        from project import local_env

        return local_env.read(self.checkout / "local.env")

    def manage(self, *args, **env):
        return subprocess.run(
            [".venv/bin/python", "manage.py", *args],
            cwd=self.checkout,
            capture_output=True,
            text=True,
            timeout=120,
            env=terminal_env(**env),
        )

    def interrupt(self):
        """Ctrl+C in the terminal: SIGINT to every process of the trial."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"make run did not stop within {STOP_TIMEOUT} s of Ctrl+C:\n{self.log()[-3000:]}"
            ) from None

    def kill(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


@pytest.fixture
def checkout(tmp_path):
    if not shutil.which("make"):
        missing("make is not installed")
    return copy_checkout(tmp_path / "chat")


@pytest.fixture
def start_trial(checkout, tmp_path):
    started = []

    def start(*make_args):
        trial = Trial(checkout, tmp_path / f"make-run-{len(started)}.log", *make_args)
        started.append(trial)
        return trial

    yield start
    for trial in started:
        if trial.process.poll() is None:
            trial.kill()


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def first_run(browser, url):
    """The first visit: the first-run page makes alice the first (staff) account; her lobby, live."""
    context = browser.new_context(base_url=url)
    page = context.new_page()
    page.goto("/")
    fill_signup(page, "alice")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    page.goto("/rooms/lobby/")
    page.wait_for_selector('#room[data-ws="open"]', timeout=10_000)
    return context, page


@pytest.mark.parametrize("redis", ["private redis-server", "no redis-server"])
def test_a_bots_answer_appears_live_under_make_run(redis, start_trial, browser):
    if redis == "private redis-server" and not shutil.which("redis-server"):
        missing("redis-server is not installed (apt-get install redis-server)")
    trial = start_trial() if redis == "private redis-server" else start_trial("REDIS_SERVER=")
    settings = trial.settings()
    if redis == "private redis-server":
        redis_port = int(re.fullmatch(r"redis://127\.0\.0\.1:(\d+)/0", settings["REDIS_URL"])[1])
        assert listening(redis_port) and "CHAT_TASKS_IN_SERVER" not in settings
    else:
        assert "REDIS_URL" not in settings and settings["CHAT_TASKS_IN_SERVER"] == "true"
    context, page = first_run(browser, trial.url)

    # The bot, made from another terminal as the docs say, with its webhook.
    hook = Webhook(token="").start()
    try:
        made = trial.manage(
            "create_bot", "deploybot", "--room", "lobby", "--webhook-url", hook.url, CHAT_WEBHOOK_ALLOW_PRIVATE="true"
        )
        assert made.returncode == 0, made.stderr
        hook.token = made.stdout.splitlines()[-1]
        send(page, "@deploybot status production")
        answer = message_with(page, "Status for production: all green")
        try:
            answer.wait_for(timeout=WEBHOOK_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise AssertionError(f"no answer on the page; make run's log:\n{trial.log()[-4000:]}") from None
        expect(answer.locator(".bot-badge")).to_be_visible()
        [(signed, payload)] = hook.calls
        # The message's link in the payload is the trial's own address.
        assert signed and payload["message"]["url"].startswith(f"{trial.url}/rooms/lobby/messages/")
    finally:
        hook.stop()
        context.close()

    # Ctrl+C stops the server, the worker and the private Redis; manage.py
    # then works without them.
    trial.interrupt()
    assert not listening(trial.port)
    if redis == "private redis-server":
        assert not listening(redis_port)
        assert "REDIS_URL" not in trial.settings()
    assert trial.manage("invite").returncode == 0


# --- Every command of the README and the docs, as written -------------------

# A command is a line of a ```sh block (indented too, inside a list), or an
# inline `code` span, that runs make or manage.py (`python manage.py ...` as
# in an activated venv or a platform's one-off dyno: the venv's python
# first on PATH).
COMMAND = re.compile(r"^(?:make|python manage\.py|\.venv/bin/python manage\.py) \w")
PASSWORD = "a-long-trial-password-42"


def documented_commands():
    commands = set()
    for page in PAGES:
        commands |= commands_in(page.read_text())
    return commands


def commands_in(text):
    commands = set()
    for block in re.findall(r"^[ \t]*```sh\n(.*?)^[ \t]*```", text, flags=re.M | re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if COMMAND.match(line):
                commands.add(line)
    for span in re.findall(r"`([^`\n]+)`", re.sub(r"^[ \t]*```.*?^[ \t]*```", "", text, flags=re.M | re.S)):
        if COMMAND.match(span):
            commands.add(span.strip())
    return commands


def shell(trial, command, **env):
    """`command` typed in a terminal in the trial's checkout (make told not to reinstall the venv)."""
    if command.startswith("make "):
        command = " ".join(MAKE) + command.removeprefix("make")
    return subprocess.run(
        ["bash", "-c", command],
        cwd=trial.checkout,
        capture_output=True,
        text=True,
        timeout=180,
        env=terminal_env(PATH=f"{trial.checkout / '.venv' / 'bin'}:{os.environ['PATH']}", **env),
    )


def conversation(trial, command, answers):
    """`command` in a terminal (a pseudo-terminal: createsuperuser asks its
    questions there), answering each prompt in `answers` (text it contains,
    reply) in order; returns (exit status, everything it printed)."""
    if command.startswith("make "):
        command = " ".join(MAKE) + command.removeprefix("make")
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=trial.checkout,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=terminal_env(PATH=f"{trial.checkout / '.venv' / 'bin'}:{os.environ['PATH']}"),
        # A session of its own whose controlling terminal is the pty, where passwords are asked.
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(terminal)
    said, todo, deadline = "", list(answers), time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(controller, 4096).decode(errors="replace")
                except OSError:  # the command ended: its terminal closed
                    break
                if not chunk:
                    break
                said += chunk
                while todo and todo[0][0] in said.rsplit("\n", 1)[-1]:
                    os.write(controller, (todo.pop(0)[1] + "\n").encode())
                    said += "\n"
            elif process.poll() is not None:
                break
        return process.wait(timeout=30), said
    finally:
        os.close(controller)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def invited(trial, command, people):
    result = shell(trial, command)
    assert result.returncode == 0, result.stderr
    assert f"Invitation for {people}" in result.stdout
    # The last line is the join link, at the trial's address.
    link = result.stdout.splitlines()[-1]
    assert re.fullmatch(rf"{re.escape(trial.url)}/accounts/join/[\w-]+/", link), link
    with urllib.request.urlopen(link, timeout=10) as page:
        assert page.status == 200


def bot_made(trial, command):
    result = shell(trial, command)
    assert result.returncode == 0, result.stderr
    assert "may post to lobby" in result.stdout
    assert re.fullmatch(r"chatbot_\S{20,}", result.stdout.splitlines()[-1])


def superuser_made(trial, command, username):
    status, said = conversation(
        trial,
        command,
        [
            ("Username", username),
            ("Email address", f"{username}@example.com"),
            ("Password:", PASSWORD),
            ("Password (again)", PASSWORD),
        ],
    )
    assert status == 0 and "Superuser created successfully." in said, said


def prints(expected, **env):
    def check(trial, command):
        result = shell(trial, command, **env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert expected in result.stdout + result.stderr, result.stdout + result.stderr

    return check


def worker_runs(trial, command):
    """A worker: it starts, takes the queue, and stops on Ctrl+C."""
    log = trial.checkout / "worker.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=trial.checkout,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=terminal_env(PATH=f"{trial.checkout / '.venv' / 'bin'}:{os.environ['PATH']}"),
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while "Starting worker" not in log.read_text() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    assert "Starting worker" in log.read_text(), log.read_text()
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=30) == 0, log.read_text()


def dry_run(needs):
    """Commands a test cannot run whole (the suites themselves, an
    8-minute benchmark, a server on every interface): make shows what it
    would run, which must be `needs`."""

    def check(trial, command):
        result = shell(trial, command.replace("make ", "make -n ", 1))
        assert result.returncode == 0, result.stderr
        assert needs in result.stdout, result.stdout

    return check


# Production's settings, as docs/deploying.md sets them.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "chat.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://chat.example.com",
    "CHAT_BASE_URL": "https://chat.example.com",
}

CHECKS = {
    "make run": lambda trial, command: None,  # the trial the test runs
    "make run HOST=0.0.0.0": dry_run("--host '0.0.0.0'"),  # the tests bind 127.0.0.1 only (project/tests/test_trial.py)
    "make run PORT=9000": dry_run("--port '9000'"),
    "make run REDIS_SERVER=": dry_run(
        "--redis-server ''"
    ),  # run whole by test_a_bots_answer_appears_live_under_make_run
    "make run PYTHON=/path/to/python3.13": dry_run("project.trial serve"),
    "make admin": lambda trial, command: superuser_made(trial, command, "admin2"),
    "make test": dry_run("pytest e2e"),
    "make lint": dry_run("ruff check"),
    "make test-unit": dry_run("-m pytest"),
    "make test-e2e": dry_run("pytest e2e"),
    "make docs": dry_run("mkdocs build --strict"),
    "make docs-check": dry_run("mkdocs build --strict"),
    "make screenshots": dry_run("--screenshots docs/screenshots"),
    "make bench": dry_run("-m bench"),
    'make bench BENCH_ARGS="--scenarios datascale"': dry_run("-m bench --scenarios datascale"),
    'make bench BENCH_ARGS="--scenarios posts --repeats 1"': dry_run("-m bench --scenarios posts --repeats 1"),
    ".venv/bin/python manage.py invite": lambda trial, command: invited(trial, command, "one account"),
    ".venv/bin/python manage.py invite --uses 10 --hours 48": lambda trial, command: invited(
        trial, command, "10 accounts"
    ),
    "python manage.py invite --uses 10 --hours 48": lambda trial, command: invited(trial, command, "10 accounts"),
    ".venv/bin/python manage.py create_bot deploybot --room lobby": bot_made,
    ".venv/bin/python manage.py createsuperuser": lambda trial, command: superuser_made(trial, command, "admin3"),
    "python manage.py createsuperuser": lambda trial, command: superuser_made(trial, command, "admin4"),
    ".venv/bin/python manage.py search_reindex": prints("Rebuilt the search index on sqlite."),
    ".venv/bin/python manage.py prune_db_task_results --queue-name '*' --min-age-days 14": prints("Deleted"),
    "python manage.py prune_db_task_results --queue-name '*' --min-age-days 14": prints("Deleted"),
    "python manage.py db_worker": worker_runs,
    "python manage.py check --deploy --fail-level WARNING": prints("System check identified no issues", **PRODUCTION),
}


def test_every_documented_command_works_as_written_in_the_checkout_make_run_set_up(start_trial):
    commands = documented_commands()
    # Every command the pages show has its check here, and every check is of a command they still show.
    assert commands - CHECKS.keys() == set(), "documented commands without a check in this test"
    assert CHECKS.keys() - commands == set(), "checks of commands the docs no longer show"
    trial = start_trial()
    for command in sorted(commands):
        CHECKS[command](trial, command)
