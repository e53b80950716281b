"""`make run`'s trial settings: local.env (project/local_env.py), read by
every manage.py and server process under what the environment sets, and
the addresses a trial on the local network is reached at (project/trial.py)."""

import ipaddress
import os
import socket
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port, wait_for_port
from project import local_env
from project.trial import lan_addresses, served_at

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, env):
    """manage.py as typed in a terminal: no DEBUG or SECRET_KEY in the environment."""
    environment = {name: value for name, value in os.environ.items() if name not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**environment, **env},
    )


def setting(name, env):
    result = manage("shell", "-v", "0", "-c", f"from django.conf import settings; print(settings.{name})", env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def trial_file(tmp_path):
    file = tmp_path / "local.env"
    local_env.write(
        file, {"DEBUG": "true", "SECRET_KEY": "trial-key-" + "k" * 40, "CHAT_BASE_URL": "http://192.168.1.23:8000"}
    )
    return file


def test_manage_py_reads_the_trials_settings_and_the_environment_wins(trial_file):
    env = {"CHAT_LOCAL_ENV": str(trial_file)}
    # Without the file, a bare manage.py stops: DEBUG is off and there is no key.
    assert "SECRET_KEY must be set" in manage("check", env={"CHAT_LOCAL_ENV": ""}).stderr
    assert setting("DEBUG", env) == "True"
    assert setting("SECRET_KEY", env) == "trial-key-" + "k" * 40
    assert setting("CHAT_BASE_URL", env) == "http://192.168.1.23:8000"
    assert setting("CHAT_BASE_URL", {**env, "CHAT_BASE_URL": "https://chat.example.com"}) == "https://chat.example.com"


def test_writing_keeps_other_lines_and_the_key_private(trial_file):
    trial_file.write_text(
        trial_file.read_text() + "# my mail server\nEMAIL_URL=smtp://127.0.0.1:1025\n"
        'DEFAULT_FROM_EMAIL="Chat <chat@example.com>"\n'
    )
    local_env.write(trial_file, {"CHAT_BASE_URL": None, "REDIS_URL": "redis://127.0.0.1:6390/0"})
    assert local_env.read(trial_file) == {
        "DEBUG": "true",
        "SECRET_KEY": "trial-key-" + "k" * 40,
        "EMAIL_URL": "smtp://127.0.0.1:1025",
        "DEFAULT_FROM_EMAIL": "Chat <chat@example.com>",
        "REDIS_URL": "redis://127.0.0.1:6390/0",
    }
    assert "# my mail server" in trial_file.read_text()
    assert stat.S_IMODE(trial_file.stat().st_mode) == 0o600


def test_a_trial_on_every_interface_allows_the_machines_addresses_and_name():
    settings = served_at("0.0.0.0", 8000, addresses=["192.168.1.23", "fd00::5"], hostname="TeamLaptop")
    assert settings["ALLOWED_HOSTS"].split(",") == [
        "192.168.1.23",
        "[fd00::5]",
        "teamlaptop",
        "teamlaptop.local",
        "127.0.0.1",
        "localhost",
        "[::1]",
    ]
    assert "http://192.168.1.23:8000" in settings["CSRF_TRUSTED_ORIGINS"].split(",")
    assert "http://[fd00::5]:8000" in settings["CSRF_TRUSTED_ORIGINS"].split(",")
    # Links (invitations) point where the others can reach it.
    assert settings["CHAT_BASE_URL"] == "http://192.168.1.23:8000"
    # On this machine only, it stays on the loopback addresses.
    assert served_at("127.0.0.1", 8000) == {
        "ALLOWED_HOSTS": "127.0.0.1,localhost,[::1]",
        "CSRF_TRUSTED_ORIGINS": "http://127.0.0.1:8000,http://localhost:8000,http://[::1]:8000",
        "CHAT_BASE_URL": "http://127.0.0.1:8000",
    }


def test_the_network_addresses_found_are_this_machines_own():
    for address in lan_addresses():
        ip = ipaddress.ip_address(address)
        assert not ip.is_loopback and not ip.is_link_local
        # An address of this machine: a socket can be bound to it.
        with socket.socket(socket.AF_INET6 if ip.version == 6 else socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((address, 0))


def test_a_trial_on_the_network_answers_its_lan_address_and_invites_with_it(tmp_path):
    port = free_port()
    lan = (lan_addresses() or ["192.168.1.23"])[0]
    file = tmp_path / "local.env"
    local_env.write(
        file,
        {
            "DEBUG": "true",
            "SECRET_KEY": "trial-key-" + "k" * 40,
            **served_at("0.0.0.0", port, addresses=[lan], hostname="teamlaptop"),
        },
    )
    env = {"CHAT_LOCAL_ENV": str(file), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "REDIS_URL": ""}
    assert manage("migrate", "-v", "0", env=env).returncode == 0
    invite = manage("invite", env=env)
    assert invite.returncode == 0, invite.stderr
    assert invite.stdout.splitlines()[-1].startswith(f"http://{'[' + lan + ']' if ':' in lan else lan}:{port}/")
    # The server (bound to 127.0.0.1 here) serves a page asked for by that address and by the machine's name.
    environment = {name: value for name, value in os.environ.items() if name not in ("DEBUG", "SECRET_KEY")}
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "project.asgi:application"],
        cwd=ROOT,
        env={**environment, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for_port(port, 30)
        for host in (f"{lan}:{port}" if ":" not in lan else f"[{lan}]:{port}", f"teamlaptop.local:{port}"):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/accounts/login/", headers={"Host": host})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
