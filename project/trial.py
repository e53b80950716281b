"""`make run` and `make admin`: the chat as a local trial a team can use.

    python -m project.trial serve --host 127.0.0.1 --port 8000 [--redis-server PATH]
    python -m project.trial prepare

`serve` writes the checkout's local.env (project/local_env.py) for the
address it serves: DEBUG on, a SECRET_KEY generated once and kept, the
hosts and origins to allow (with HOST=0.0.0.0, this machine's addresses on
the local network and its name too), CHAT_BASE_URL (so invitation links
point where the others can reach the trial), and how the worker's live
updates get to the server. Then it migrates, makes sure the lobby exists,
and runs the server (runserver: it reloads on code changes) with the task
worker beside it until Ctrl+C, which stops them all.

The worker's live updates (a bot's answer) travel as in production when a
redis-server is installed: a private one on a free 127.0.0.1 port, for this
trial only (nothing saved), shared by the server and a worker process. With
no redis-server, the server runs the tasks itself (CHAT_TASKS_IN_SERVER,
core/worker_in_server.py): one process, one in-memory layer. A
REDIS_URL in the environment is used as it is.

`prepare` (make admin) writes local.env only if there is none, then
migrates: createsuperuser then runs with the trial's settings.

Every setting the environment already has is recorded as it is: the
environment wins, and manage.py in another terminal agrees with the server.
"""

import argparse
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import local_env

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = ["127.0.0.1", "localhost", "[::1]"]
EVERY_INTERFACE = {"0.0.0.0", "::", "[::]"}
HEADER = """\
# The settings of `make run`'s local trial (written by project/trial.py, read
# by manage.py, the server and the worker of this checkout). A variable set in
# the environment wins over this file. Lines of your own (EMAIL_URL=...) stay.
"""


def lan_addresses():
    """This machine's addresses on its networks (not loopback or link-local),
    the one it would reach the outside world from first (no packet is sent:
    a UDP socket only picks its route)."""
    found = []
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as udp:
                udp.connect((probe, 9))
                found.append(udp.getsockname()[0])
        except OSError:
            pass
    try:
        found += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)]
    except OSError:
        pass
    usable = []
    for address in found:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not (ip.is_loopback or ip.is_link_local or ip.is_unspecified) and str(ip) not in usable:
            usable.append(str(ip))
    return sorted(usable, key=lambda address: ":" in address)  # IPv4 first, each family in order


def _host(address):
    """How an address is written in a Host header and a URL ([::1])."""
    return f"[{address}]" if ":" in address and not address.startswith("[") else address


def served_at(host, port, addresses=None, hostname=None):
    """The settings that let people reach a trial served on host:port:
    ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS and CHAT_BASE_URL. On every interface,
    the machine's network addresses (`addresses`, found when None) and its
    name (and name.local, as mDNS announces it) are allowed too, and links
    use its first address."""
    reached = []
    if host in EVERY_INTERFACE:
        addresses = lan_addresses() if addresses is None else addresses
        hostname = socket.gethostname() if hostname is None else hostname
        names = [hostname, f"{hostname}.local"] if hostname and "." not in hostname else [hostname] if hostname else []
        reached = [*addresses, *names]
    elif _host(host) not in LOOPBACK:
        reached = [host]
    hosts = list(dict.fromkeys(_host(name).lower() for name in [*reached, *LOOPBACK]))
    return {
        "ALLOWED_HOSTS": ",".join(hosts),
        "CSRF_TRUSTED_ORIGINS": ",".join(f"http://{name}:{port}" for name in hosts),
        "CHAT_BASE_URL": f"http://{hosts[0]}:{port}",
    }


def settings_for(host, port, existing, redis_url, tasks_in_server):
    """local.env's values for this run: the environment's where it sets them."""
    values = {
        "DEBUG": "true",
        "SECRET_KEY": existing.get("SECRET_KEY") or secrets.token_urlsafe(50),
        **served_at(host, port),
        "REDIS_URL": redis_url,
        "CHAT_TASKS_IN_SERVER": "true" if tasks_in_server else None,
    }
    return {name: os.environ.get(name, value) for name, value in values.items()}


def manage(*args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server for this trial alone: 127.0.0.1, a free port, nothing saved."""

    def __init__(self, binary):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = tempfile.TemporaryDirectory(prefix="chat-trial-redis-")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.workdir.name,
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SystemExit(f"{binary} did not start on 127.0.0.1:{self.port}")

    def stop(self):
        stop_process(self.process)
        self.workdir.cleanup()


def stop_process(process):
    """SIGTERM, then SIGKILL after 10 s."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prepare():
    existing = local_env.read(local_env.DEFAULT)
    missing = {
        name: value
        for name, value in settings_for("127.0.0.1", 8000, existing, None, False).items()
        if name not in existing and value is not None and name not in ("REDIS_URL", "CHAT_TASKS_IN_SERVER")
    }
    if missing or not local_env.DEFAULT.exists():
        local_env.write(local_env.DEFAULT, missing, header=HEADER)
    manage("migrate", "--no-input")


def serve(host, port, redis_server):
    redis = None
    # The environment's (even empty: no Redis), else a private one when there is a redis-server.
    redis_url = os.environ.get("REDIS_URL")
    if redis_url is None and redis_server and shutil.which(redis_server):
        redis = PrivateRedis(redis_server)
        redis_url = redis.url
    settings = settings_for(host, port, local_env.read(local_env.DEFAULT), redis_url or None, not redis_url)
    local_env.write(local_env.DEFAULT, settings, header=HEADER)
    server = worker = None
    try:
        manage("migrate", "--no-input")
        manage("ensure_lobby")
        python = os.path.relpath(sys.executable, ROOT)
        python = sys.executable if python.startswith("..") else python
        print(f"""
  Chat is at {settings["CHAT_BASE_URL"]}/  (the first visit creates the first, staff account;
  invite people from the room list, or: {python} manage.py invite)""")
        if host in EVERY_INTERFACE:
            print(f"  Others on your network open it there too; allowed as: {settings['ALLOWED_HOSTS']}")
        else:
            print("  For others on your network: make run HOST=0.0.0.0")
        print(f"""  Another staff account for /admin/:  make admin   (or: {python} manage.py createsuperuser)
  Settings of this trial: local.env (manage.py reads them too)
""")
        if redis_url:
            where = f"a private redis-server on 127.0.0.1:{redis.port}" if redis else "REDIS_URL"
            print(
                f"  Background tasks (bots' webhooks, emails) run in a worker beside the server; "
                f"live updates go through {where}.\n"
            )
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--no-reload"], cwd=ROOT
            )
        else:
            print("  Background tasks (bots' webhooks, emails) run in the server process (no redis-server found).\n")
        address = f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"
        server = subprocess.Popen([sys.executable, "manage.py", "runserver", address], cwd=ROOT)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (server, worker):
            stop_process(process)
        if redis is not None:
            redis.stop()
            # Gone with the trial: manage.py falls back to its in-memory layer.
            local_env.write(local_env.DEFAULT, {"REDIS_URL": None})


def main():
    parser = argparse.ArgumentParser(prog="python -m project.trial", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="write local.env, migrate, serve with the task worker (make run)")
    run.add_argument("--host", default="127.0.0.1", help="the address to listen on; 0.0.0.0 for the local network")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument(
        "--redis-server",
        default="redis-server",
        help="the redis-server to start for live updates between processes; empty for none",
    )
    commands.add_parser("prepare", help="write local.env if there is none, and migrate (make admin)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, interrupted)
    try:
        if args.command == "prepare":
            prepare()
            return 0
        return serve(args.host, args.port, args.redis_server)
    except subprocess.CalledProcessError as failed:
        return failed.returncode


def interrupted(signum, frame):
    """SIGTERM (a process manager, a test) stops the trial as Ctrl+C does."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
