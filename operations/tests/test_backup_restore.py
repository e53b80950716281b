"""manage.py backup and restore, round trip, on PostgreSQL and SQLite.

An install of its own (operations/tests/install.py) is seeded with people,
rooms public, private and archived, a direct conversation, files and
images, reactions, replies and a bot; it is backed up while a process
posts messages (some with files); the archive is restored into a new
database and an empty storage; then everything a person could notice is
compared. Each command runs in a process of its own, as an operator runs it.
"""

import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from conftest import missing

ROOT = Path(__file__).resolve().parents[2]
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


class Install:
    """A database and a MEDIA_ROOT, and the commands run against them."""

    def __init__(self, database_url, media_root):
        self.database_url, self.media_root = database_url, Path(media_root)
        self.env = {
            **{
                name: value
                for name, value in os.environ.items()
                if not name.startswith(("DJANGO_", "PROMETHEUS_", "LOG_", "METRICS_"))
            },
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DEBUG": "true",
            "CHAT_LOCAL_ENV": "",
            "REDIS_URL": "",
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(media_root),
            "ALLOWED_HOSTS": "testserver",
            "CHAT_RATE_LIMIT_MESSAGES": "0",
        }

    def run(self, *args, timeout=300):
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def manage(self, *args, timeout=300):
        return self.run("manage.py", *args, timeout=timeout)

    def helper(self, *args):
        result = self.run("-m", "operations.tests.install", *args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def describe(self, bot_token):
        return json.loads(self.helper("describe", bot_token))


class Databases:
    """New databases for one backend, dropped at the end of the module."""

    def __init__(self, backend, workdir):
        self.backend, self.workdir, self.made = backend, workdir, []
        if backend == "postgresql":
            import psycopg

            base = os.environ.get("DATABASE_URL", "")
            self.base = base if base.startswith(("postgres://", "postgresql://")) else LOCAL_POSTGRES
            try:
                with psycopg.connect(self.base, autocommit=True, connect_timeout=5):
                    pass
            except psycopg.OperationalError as error:
                missing(f"PostgreSQL is needed for the PostgreSQL round trip: {error}")

    def new(self):
        name = f"chat_backup_{uuid.uuid4().hex[:10]}"
        if self.backend == "sqlite":
            return f"sqlite:///{self.workdir / name}.sqlite3"
        import psycopg

        with psycopg.connect(self.base, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return urlunsplit(urlsplit(self.base)._replace(path=f"/{name}"))

    def drop_all(self):
        if self.backend == "postgresql":
            import psycopg

            with psycopg.connect(self.base, autocommit=True) as conn:
                for name in self.made:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def tables(self, url):
        if self.backend == "sqlite":
            path = url.removeprefix("sqlite:///")
            if not os.path.exists(path):
                return []
            with sqlite3.connect(path) as conn:
                return [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        import psycopg

        with psycopg.connect(url) as conn:
            return [name for (name,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def databases(request, tmp_path_factory):
    made = Databases(request.param, tmp_path_factory.mktemp(request.param))
    yield made
    made.drop_all()


@pytest.fixture(scope="module")
def backed_up(databases, tmp_path_factory):
    """The source install, seeded, backed up while messages were being
    posted: (source, bot token, archive, what the poster said, backup's output)."""
    workdir = tmp_path_factory.mktemp("source")
    source = Install(databases.new(), workdir / "media")
    migrated = source.manage("migrate", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    seeded = json.loads(source.helper("seed"))
    stop = workdir / "stop"
    poster = subprocess.Popen(
        [sys.executable, "-m", "operations.tests.install", "post", str(stop)],
        cwd=ROOT,
        env=source.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The backup starts once messages are flowing, and they go on until
        # a few (one with a file at least) were posted after its snapshot.
        assert poster.stdout.readline().strip() == "1", poster.stderr.read()
        archive = workdir / "backup.tar"
        backup = source.manage("backup", "--output", str(archive))
        assert backup.returncode == 0, backup.stderr
        in_snapshot = manifest_of(archive)["counts"]["rooms.message"] - seeded["messages"]
        while (line := poster.stdout.readline()) and int(line) < in_snapshot + 6:
            pass
    finally:
        stop.touch()
        errors = poster.communicate(timeout=90)[1]
    assert poster.returncode == 0, errors
    return source, seeded["bot_token"], archive, backup


def restored_install(databases, tmp_path):
    return Install(databases.new(), tmp_path / "restored-media")


def manifest_of(archive):
    with tarfile.open(archive) as tar:
        return json.load(tar.extractfile("manifest.json"))


def test_a_restored_install_holds_what_the_backup_saw(backed_up, databases, tmp_path):
    source, token, archive, backup = backed_up
    assert backup.stdout.strip().splitlines()[-1] == str(archive)
    target = restored_install(databases, tmp_path)
    restore = target.manage("restore", str(archive))
    assert restore.returncode == 0, restore.stderr
    assert "Rebuilt the search index" in restore.stdout

    before, after = source.describe(token), target.describe(token)
    manifest = manifest_of(archive)
    # Messages were posted before, during and after the snapshot: the
    # archive holds those committed before it, and nothing later.
    during = [row for row in before["rows"]["rooms.message"] if row["fields"]["text"].startswith("during the backup")]
    restored_during = [
        row for row in after["rows"]["rooms.message"] if row["fields"]["text"].startswith("during the backup")
    ]
    assert 0 < len(restored_during) < len(during)
    for label, rows in after["rows"].items():
        assert len(rows) == manifest["counts"][label], label
        if label in {"rooms.message", "files.attachment"}:
            # The poster's rows come last: the restored ones are exactly the first of them.
            assert rows == before["rows"][label][: len(rows)], label
        else:
            assert rows == before["rows"][label], label
    # A file is in the restored storage exactly when its row is, byte for byte.
    named = {
        row["fields"][field]
        for row in after["rows"]["files.attachment"]
        for field in ("file", "preview")
        if row["fields"][field]
    }
    assert set(after["files"]) == named
    assert after["files"] == {name: before["files"][name] for name in named}
    assert len(before["files"]) > len(named)  # files posted after the snapshot stayed out
    # People sign in with their passwords, pages and files open, search finds the same, the bot's token works.
    assert after["seen"] == before["seen"]
    assert after["seen"]["passwords"] == {"alice": True, "bob": True, "carol": True}
    assert after["seen"]["bot"] == "deploybot"
    assert set(after["seen"]["pages"].values()) == {200}
    assert after["seen"]["search"]["staging"] and after["seen"]["search"]['"quarterly numbers"']


def test_the_manifest_says_what_the_archive_holds(backed_up, databases):
    _source, _token, archive, _backup = backed_up
    manifest = manifest_of(archive)
    assert archive.stat().st_mode & 0o777 == 0o600  # every message and password hash: its owner's only
    assert not archive.with_name(archive.name + ".partial").exists()
    assert manifest["format"] == "chat-backup" and manifest["format_version"] == 1
    assert manifest["database"]["vendor"] == databases.backend
    assert "0001_initial" in manifest["migrations"]["rooms"]
    assert manifest["counts"]["auth.user"] == 4  # three people and the bot
    assert manifest["storage"]["kind"] == "local"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert names[-1] == "manifest.json"
    assert set(manifest["members"]) == set(names) - {"manifest.json"}
    assert manifest["storage"]["files"] == sum(1 for name in names if name.startswith("files/"))


def damaged_copies(archive, tmp_path):
    """The archive with one byte of its database changed, and cut short."""
    data = bytearray(archive.read_bytes())
    with tarfile.open(archive) as tar:
        dump = next(info for info in tar if info.name.startswith("database."))
    corrupted = bytearray(data)
    corrupted[dump.offset_data + dump.size // 2] ^= 0xFF
    truncated = data[: int(len(data) * 0.6)]
    paths = {"corrupted": tmp_path / "corrupted.tar", "truncated": tmp_path / "truncated.tar"}
    paths["corrupted"].write_bytes(corrupted)
    paths["truncated"].write_bytes(truncated)
    return paths


@pytest.mark.parametrize("damage", ["corrupted", "truncated"])
def test_a_damaged_archive_is_refused_before_anything_is_written(backed_up, databases, tmp_path, damage):
    archive = damaged_copies(backed_up[2], tmp_path)[damage]
    target = restored_install(databases, tmp_path)
    restore = target.manage("restore", str(archive))
    assert restore.returncode != 0
    assert damage in restore.stderr and "Nothing was changed" in restore.stderr, restore.stderr
    assert databases.tables(target.database_url) == []
    assert not target.media_root.exists() or not any(target.media_root.rglob("*"))


def with_manifest(archive, path, change):
    """A copy of the archive whose manifest `change` edited."""
    with tarfile.open(archive) as source, tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as copy:
        for info in source:
            body = source.extractfile(info).read()
            if info.name == "manifest.json":
                manifest = json.loads(body)
                change(manifest)
                body = json.dumps(manifest).encode()
                info.size = len(body)
            copy.addfile(info, io.BytesIO(body))
    return path


def test_an_archive_from_a_newer_version_is_refused(backed_up, databases, tmp_path):
    archive = with_manifest(
        backed_up[2],
        tmp_path / "newer.tar",
        lambda manifest: manifest["migrations"]["rooms"].append("9999_from_the_future"),
    )
    target = restored_install(databases, tmp_path)
    restore = target.manage("restore", str(archive))
    assert restore.returncode != 0
    assert "newer version" in restore.stderr and "rooms.9999_from_the_future" in restore.stderr
    assert databases.tables(target.database_url) == []


def test_a_database_in_use_is_not_restored_over_without_force(backed_up, databases, tmp_path):
    source, _token, archive, _backup = backed_up
    refused = source.manage("restore", str(archive))
    assert refused.returncode != 0
    assert "already has tables" in refused.stderr and "--force" in refused.stderr


def test_force_replaces_a_database_and_storage_in_use(backed_up, databases, tmp_path):
    _source, token, archive, _backup = backed_up
    target = restored_install(databases, tmp_path)
    assert target.manage("restore", str(archive)).returncode == 0
    restored = target.describe(token)
    said = target.manage(
        "shell",
        "-c",
        "from rooms.models import Message, Room; from django.contrib.auth.models "
        "import User; Message.objects.post(Room.objects.get(slug='lobby'), "
        "User.objects.get(username='bob'), 'said after the restore')",
    )
    assert said.returncode == 0, said.stderr
    forced = target.manage("restore", "--force", str(archive))
    assert forced.returncode == 0, forced.stderr
    again = target.describe(token)
    assert again["rows"] == restored["rows"] and again["files"] == restored["files"]
