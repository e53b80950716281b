"""Dumping and loading the database, one class per engine the chat runs on.

PostgreSQL: pg_dump's custom format, taken from a snapshot this process
exports and holds open (REPEATABLE READ) while it also reads the snapshot's
contents (operations/snapshot.py), so the dump, the counts and the list of
files agree to the row; pg_restore loads it in one transaction, so a failed
load leaves the database as empty as it was. pg_dump and pg_restore come
from the PostgreSQL client package (postgresql-client), whose version must
be at least the server's.

SQLite: the online backup API copies the database as one consistent
snapshot while the server goes on writing (in WAL mode readers never block
writers), and copies it back the same way.
"""

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing

from django.db import connection, transaction

from core.progress import Progress

from . import snapshot


class DumpFailed(Exception):
    """A dump or a load that did not complete; the message says why."""


def engine():
    """The class for the database this install runs on."""
    vendor = connection.vendor
    if vendor == "postgresql":
        return PostgreSQL()
    if vendor == "sqlite":
        return SQLite()
    raise DumpFailed(f"Backups cover PostgreSQL and SQLite, not {vendor}.")


def _libpq_environment():
    """The environment pg_dump and pg_restore connect with: what Django's
    dbshell gives psql (password, SSL files, service), and the rest as
    libpq's variables rather than arguments a `ps` would show."""
    settings_dict = connection.settings_dict
    _, environment = connection.client.settings_to_cmd_args_env(settings_dict, [])
    environment = dict(environment or {})
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("NAME", "PGDATABASE")):
        if settings_dict.get(key):
            environment[variable] = str(settings_dict[key])
    return environment


def _run_counting(command, environment, progress, counts_line):
    """Run a PostgreSQL tool, advancing `progress` for each line of its
    --verbose output that `counts_line` accepts; raise DumpFailed with what
    it said when it fails."""
    said = []
    process = subprocess.Popen(
        command,
        env={**os.environ, **environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    for line in process.stderr:
        if counts_line(line):
            progress.advance()
        else:
            said.append(line.rstrip())
    if process.wait() != 0:
        errors = [line for line in said if "error" in line.lower() or "fatal" in line.lower()]
        detail = "\n".join(errors or said[-10:])
        raise DumpFailed(f"{command[0]} failed (exit {process.returncode}):\n{detail}")


class PostgreSQL:
    vendor = "postgresql"
    member = "database.pgdump"

    def tools_version(self):
        for tool in ("pg_dump", "pg_restore"):
            if shutil.which(tool) is None:
                raise DumpFailed(f"{tool} is not installed: install PostgreSQL's client tools (postgresql-client).")
        return subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True).stdout.strip()

    def describe(self):
        return {
            "vendor": self.vendor,
            "member": self.member,
            "tool": self.tools_version(),
            "server_version": connection.pg_version,
        }

    def dump(self, path):
        """Dump the database to `path`; returns the snapshot's Contents."""
        self.tools_version()
        connection.ensure_connection()
        with transaction.atomic(), connection.cursor() as cursor:
            # First statement of the transaction: the snapshot everything below reads.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
            tables = set(connection.introspection.table_names(cursor))
            contents = snapshot.read(cursor, tables)
            command = [
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot_id}",
                "--no-owner",
                "--no-privileges",
                "--verbose",
                f"--file={path}",
            ]
            with Progress("Dumping the database", total=len(tables), unit="tables") as progress:
                _run_counting(
                    command,
                    _libpq_environment(),
                    progress,
                    lambda line: line.startswith("pg_dump: dumping contents of table"),
                )
        return contents

    def check_dump(self, path):
        """Whether this pg_restore can read the dump; returns its number of entries."""
        self.tools_version()
        listed = subprocess.run(["pg_restore", "--list", str(path)], capture_output=True, text=True)
        if listed.returncode != 0:
            raise DumpFailed(f"pg_restore cannot read the database dump: {listed.stderr.strip()}")
        return sum(1 for line in listed.stdout.splitlines() if line and not line.startswith(";"))

    def is_empty(self):
        return not connection.introspection.table_names()

    def clear(self):
        """Drop every table (--force): the dump creates them all again."""
        tables = connection.introspection.table_names()
        if tables:
            quote = connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {', '.join(quote(table) for table in tables)} CASCADE")

    def load(self, path, entries):
        connection.close()  # pg_restore works on its own connection
        database = connection.settings_dict.get("NAME") or f"service={connection.settings_dict['OPTIONS']['service']}"
        command = [
            "pg_restore",
            f"--dbname={database}",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--verbose",
            str(path),
        ]
        with Progress("Loading the database", total=entries, unit="entries") as progress:
            _run_counting(command, _libpq_environment(), progress, PG_RESTORE_STEP.match)


# What pg_restore --verbose says once per entry of the dump's table of contents.
PG_RESTORE_STEP = re.compile(r"^pg_restore: (creating|processing data|executing|restoring)")


class SQLite:
    vendor = "sqlite"
    member = "database.sqlite3"

    def describe(self):
        return {"vendor": self.vendor, "member": self.member, "tool": f"SQLite {sqlite3.sqlite_version}"}

    def dump(self, path):
        connection.ensure_connection()
        with (
            Progress("Copying the database", total=None, unit="pages") as progress,
            closing(sqlite3.connect(path)) as copy,
        ):
            # One step: a copy made in steps starts over whenever the
            # server writes in between, and might never end.
            connection.connection.backup(copy, pages=-1)
            progress.advance(copy.execute("PRAGMA page_count").fetchone()[0])
        with closing(sqlite3.connect(path)) as copy:
            tables = {name for (name,) in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            return snapshot.read(copy.cursor(), tables)

    def check_dump(self, path):
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as copy:
            try:
                result = copy.execute("PRAGMA integrity_check").fetchone()[0]
            except sqlite3.DatabaseError as error:
                raise DumpFailed(f"the database copy is not a readable SQLite database: {error}") from None
            if result != "ok":
                raise DumpFailed(f"the database copy fails SQLite's integrity check: {result}")
            return copy.execute("PRAGMA page_count").fetchone()[0]

    def is_empty(self):
        return not connection.introspection.table_names()

    def clear(self):
        """Nothing to do: the backup API replaces the whole database."""

    def load(self, path, entries):
        connection.ensure_connection()
        with Progress("Loading the database", total=None, unit="pages") as progress:
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as copy:
                copy.backup(connection.connection, pages=-1)
            progress.advance(entries)
