"""The processes a benchmark run starts and always stops: redis-server, the
database, daphne, uvicorn or granian (ours or the peer) and the bare
websockets server.

Every child gets PR_SET_PDEATHSIG, so even a SIGKILLed benchmark leaves no
server behind; the normal path stops them through an ExitStack.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    """preexec_fn: the child gets SIGTERM when the benchmark process dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def wait_for_port(port, timeout, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _process_stat(pid):
    """The fields of /proc/<pid>/stat after the command name: [0] is state (field 3)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def _machine_stat():
    """The aggregate "cpu" line of /proc/stat: user, nice, system, idle, iowait, irq, softirq, steal, ..."""
    with open("/proc/stat") as f:
        return [int(x) for x in f.readline().split()[1:]]


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    fields = _process_stat(pid)  # utime, stime are fields 14, 15
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children_cpu_seconds(pid):
    """cutime + cstime: CPU of a process's children that have exited and been waited for."""
    fields = _process_stat(pid)  # cutime, cstime are fields 16, 17
    return (int(fields[13]) + int(fields[14])) / CLOCK_TICKS


def stolen_seconds():
    """CPU time the hypervisor gave to others while this machine wanted it (all cores)."""
    return _machine_stat()[7] / CLOCK_TICKS


def machine_busy_seconds():
    """CPU seconds every core of the machine spent busy since boot (not idle, not iowait)."""
    fields = _machine_stat()
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    # guest time is already counted in user time.
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def rss_bytes(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE_SIZE


def descendants(pid):
    """The pids of a process's children, their children, and so on."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                children = [int(x) for x in f.read().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *descendants(child)]
    return found


def run_ns(pid):
    """CPU time of a process's live threads in nanoseconds (the scheduler's
    count, /proc/<pid>/task/*/schedstat): fine enough for one message, where
    /proc/<pid>/stat counts in ticks of 10 ms."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


class Process:
    """A child process with a log file, stopped by SIGTERM then SIGKILL."""

    name = "process"

    def __init__(self, log_dir):
        self.log_dir = Path(log_dir)
        self.process = None

    @property
    def pid(self):
        return self.process.pid

    def spawn(self, argv, env=None, cwd=ROOT, tag=None):
        self.log_path = self.log_dir / f"{tag or self.name}.log"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )

    def log_tail(self, chars=3000):
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def log_count(self, needle):
        try:
            return self.log_path.read_text(errors="replace").count(needle)
        except OSError:
            return 0

    def log_sample(self, needle, chars=300):
        """The last line of the first traceback that follows `needle`, if any."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return None
        at = text.find(needle)
        if at < 0:
            return None
        for line in text[at:].splitlines()[1:200]:
            if line and not line.startswith((" ", "Traceback", "During", "The above")):
                return line[:chars]
        return text[at : at + chars]

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, grace=5):
        if not self.alive():
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def pids(self):
        """The processes that serve: this one (granian: and its worker)."""
        return [self.pid]

    def cpu(self):
        return sum(cpu_seconds(pid) for pid in self.pids())

    def cpu_ns(self):
        return sum(run_ns(pid) for pid in self.pids())

    def rss(self):
        return sum(rss_bytes(pid) for pid in self.pids())


class Redis(Process):
    name = "redis"

    def __init__(self, log_dir):
        super().__init__(log_dir)
        self.binary = shutil.which("redis-server")
        if not self.binary:
            raise SystemExit("redis-server is not installed (make system-deps, or apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = tempfile.mkdtemp(prefix="chat-bench-redis-")

    def start(self):
        self.spawn(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.workdir,
                "--maxclients",
                "10000",
            ]
        )
        if not wait_for_port(self.port, 10, self.process):
            raise RuntimeError(f"redis-server did not start:\n{self.log_tail()}")
        return self

    def flush(self):
        import redis

        client = redis.Redis.from_url(self.url)
        client.flushall()
        client.close()

    def stop(self, grace=5):
        super().stop(grace)
        shutil.rmtree(self.workdir, ignore_errors=True)


class Database:
    """A fresh database for the run: a new PostgreSQL database on the server
    of DATABASE_URL (or `base`) when that is set, else a SQLite file in a
    temporary folder (`base=""`: SQLite whatever DATABASE_URL says)."""

    def __init__(self, base=None):
        base = os.environ.get("DATABASE_URL", "") if base is None else base
        self.base = base
        if base.startswith(("postgres://", "postgresql://")):
            # Named after the database of the URL: runs sharing a server tell theirs apart.
            self.name = f"{urlsplit(base).path.lstrip('/') or 'chat'}_bench_{uuid.uuid4().hex[:10]}"
            self.url = urlunsplit(urlsplit(base)._replace(path=f"/{self.name}"))
            self.kind = "postgresql"
            self.workdir = None
        else:
            self.workdir = tempfile.mkdtemp(prefix="chat-bench-db-")
            self.url = f"sqlite:///{self.workdir}/bench.sqlite3"
            self.kind = "sqlite"

    def create(self):
        if self.kind == "postgresql":
            import psycopg

            with psycopg.connect(self.base, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def drop(self):
        if self.kind == "postgresql":
            import psycopg
            from django.core.exceptions import ImproperlyConfigured
            from django.db import connections

            # This process's own connections, when it set Django up; FORCE
            # ends anyone else's.
            try:
                connections.close_all()
            except ImproperlyConfigured:
                pass
            with psycopg.connect(self.base, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        elif self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


class Daphne(Process):
    """One daphne process serving an ASGI application, as in the Procfile."""

    name = "daphne"

    def __init__(self, log_dir, env, application="project.asgi:application"):
        super().__init__(log_dir)
        self.env = env
        self.application = application
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"

    def argv(self):
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), self.application]

    def start(self, timeout=60):
        tag = f"{self.name}-{self.application.split('.')[0]}-{self.port}"
        self.spawn(self.argv(), env=self.env, tag=tag)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.origin}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout} s:\n{self.log_tail()}")


# uvicorn's WebSocket implementations: websockets' asyncio one (a task and a
# queue per socket), websockets' sans-I/O protocol, and wsproto.
UVICORN_WS = ("websockets", "websockets-sansio", "wsproto")


class Uvicorn(Daphne):
    """The same ASGI application on uvicorn with uvloop and httptools.

    Lifespan is off: Channels' router has no lifespan handler. Access logs are
    off as in production behind a router that logs requests.
    """

    name = "uvicorn"

    def __init__(self, log_dir, env, application="project.asgi:application", ws="websockets-sansio"):
        super().__init__(log_dir, env, application)
        if ws not in UVICORN_WS:
            raise ValueError(f"uvicorn --ws must be one of {', '.join(UVICORN_WS)}, not {ws!r}")
        self.ws = ws

    def argv(self):
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--ws",
            self.ws,
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
            self.application,
        ]


class Granian(Daphne):
    """The same ASGI application on granian (Rust HTTP and WebSockets, uvloop).

    `asginl`: ASGI without lifespan, which Channels' router does not handle.
    One worker; granian serves it from a child process, so CPU and memory
    are read over the process and its children.
    """

    name = "granian"

    def argv(self):
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asginl",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
            "--loop",
            "uvloop",
            "--no-access-log",
            "--log-level",
            "warning",
            self.application,
        ]

    def pids(self):
        return [self.pid, *descendants(self.pid)]


class Bare(Process):
    """bench/bare.py: websockets.broadcast() of every frame it receives."""

    name = "bare"

    def __init__(self, log_dir, env):
        super().__init__(log_dir)
        self.env = env
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        self.spawn(
            [sys.executable, "-m", "bench.bare", "--port", str(self.port)], env=self.env, tag=f"bare-{self.port}"
        )
        if not wait_for_port(self.port, timeout, self.process):
            self.stop()
            raise RuntimeError(f"bare server did not start:\n{self.log_tail()}")
        return self
