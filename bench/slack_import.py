"""How long `manage.py import_slack` takes on a large Slack export, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.slack_import
    .venv/bin/python -m bench.slack_import --messages 100000          # a quicker look
    .venv/bin/python -m bench.slack_import --messages 200000 --again  # and the second run, which adds nothing

Writes a synthetic Slack export of --messages messages (default 1 million,
at most MAX_MESSAGES) to a temporary zip, as Slack lays one out: 300
people (a few deactivated, a bot), 60 channels (10 private, 4 archived),
80 direct and 10 group conversations, the messages spread unevenly over the
conversations (the busiest holds about a tenth) across two years, one
folder of daily JSON per conversation. Text is 4 to 24 words of a
Zipf-distributed vocabulary; about 1 in 20 messages mentions someone, 1 in
50 carries a labelled link, 1 in 30 has reactions, 1 in 100 was edited, 1
in 15 is a thread reply, and 1 in 100 is a join notice (skipped).

Then it makes a fresh database on the server of DATABASE_URL (--db-name,
else a random name; dropped at the end), migrates it, and times the import
in a process of its own with production settings: wall time, the process's
CPU and its peak memory (the import streams: it must not grow with the
export). Writes bench/results/import.md.
"""

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .report import machine
from .search import vocabulary
from .services import ROOT

MAX_MESSAGES = 5_000_000
START = datetime(2023, 1, 1, tzinfo=UTC).timestamp()
SPAN = 730 * 86400


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def people(rng):
    users = []
    for n in range(300):
        users.append(
            {
                "id": f"U{n:06d}",
                "name": f"person{n}",
                "real_name": f"Person {n}",
                "deleted": n % 97 == 5,
                "profile": {
                    "real_name": f"Person {n}",
                    "display_name": f"person{n}",
                    "email": f"person{n}@example.com",
                },
            }
        )
    users.append({"id": "UBOT0001", "name": "builds", "is_bot": True, "profile": {"real_name": "Builds"}})
    return users


def conversations(rng, users):
    ids = [user["id"] for user in users[:300]]
    channels, groups, dms, mpims = [], [], [], []
    for n in range(60):
        entry = {
            "id": f"C{n:06d}",
            "name": f"channel-{n}",
            "created": int(START),
            "creator": ids[0],
            "is_archived": n % 15 == 14,
            "members": rng.sample(ids, 40 if n else 300),
            "topic": {"value": f"Topic {n}", "creator": ids[0], "last_set": 0},
            "purpose": {"value": "", "creator": ids[0], "last_set": 0},
            "is_general": n == 0,
        }
        (groups if n % 6 == 5 else channels).append(entry)
    for n in range(80):
        dms.append({"id": f"D{n:06d}", "created": int(START), "members": rng.sample(ids, 2)})
    for n in range(10):
        members = rng.sample(ids, 4)
        mpims.append(
            {
                "id": f"G{n:06d}",
                "name": f"mpdm-{'--'.join(members)}-1",
                "created": int(START),
                "creator": members[0],
                "is_archived": False,
                "members": members,
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0},
            }
        )
    return channels, groups, dms, mpims


def write_export(path, total, rng):
    """The export's zip at `path`; returns its layout's sizes."""
    words = vocabulary(20_000, rng)
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))  # Zipf, cumulated once
    users = people(rng)
    channels, groups, dms, mpims = conversations(rng, users)
    everyone = channels + groups + dms + mpims
    # Uneven: the busiest conversation gets about a tenth of the messages.
    shares = [1 / (rank + 1) ** 0.8 for rank in range(len(everyone))]
    counts = [int(total * share / sum(shares)) for share in shares]
    counts[0] += total - sum(counts)
    written = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, items in (
            ("users.json", users),
            ("channels.json", channels),
            ("groups.json", groups),
            ("dms.json", dms),
            ("mpims.json", mpims),
        ):
            archive.writestr(name, json.dumps(items))
        for conversation, count in zip(everyone, counts, strict=True):
            folder = conversation.get("name") or conversation["id"]
            members = conversation["members"]
            times = sorted(rng.randrange(SPAN * 1000) for _ in range(count))  # milliseconds
            day, items, roots, last = None, [], [], -1
            for millis in times:
                if millis <= last:
                    millis = last + 1
                last = millis
                seconds = START + millis / 1000
                ts = f"{int(seconds)}.{millis % 1000:03d}000"
                when = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")
                if when != day:
                    if items:
                        archive.writestr(f"{folder}/{day}.json", json.dumps(items))
                    day, items = when, []
                items.append(message(rng, words, weights, members, ts, roots))
                written += 1
            if items:
                archive.writestr(f"{folder}/{day}.json", json.dumps(items))
    return {"people": len(users), "conversations": len(everyone), "messages": written}


def message(rng, words, weights, members, ts, roots):
    author = rng.choice(members)
    roll = rng.random()
    if roll < 0.01:
        return {
            "type": "message",
            "subtype": "channel_join",
            "user": author,
            "text": f"<@{author}> has joined",
            "ts": ts,
        }
    text = " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(4, 24)))
    if roll < 0.06:
        text = f"<@{rng.choice(members)}> {text}"
    elif roll < 0.08:
        text = f"{text} <https://example.com/{rng.randrange(10**6)}|the notes>"
    item = {"type": "message", "user": author, "text": text, "ts": ts}
    if rng.random() < 1 / 15 and roots:
        item["thread_ts"] = rng.choice(roots[-20:])
    elif rng.random() < 0.05:
        item["thread_ts"] = ts
        roots.append(ts)
    if rng.random() < 1 / 30:
        item["reactions"] = [
            {
                "name": rng.choice(["+1", "tada", "eyes", "heart", "+1::skin-tone-3"]),
                "users": rng.sample(members, min(3, len(members))),
                "count": 3,
            }
        ]
    if rng.random() < 0.01:
        item["edited"] = {"user": author, "ts": ts}
    return item


def run(argv, env):
    """Run `argv`; (wall seconds, CPU seconds, peak memory in MiB) of that process."""
    began = time.monotonic()
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - began
    if process.returncode:
        sys.exit(f"{' '.join(argv[1:3])} failed:\n{output.decode(errors='replace')[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output.decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000, help=f"at most {MAX_MESSAGES:,}")
    parser.add_argument("--db-name", help="the database to create and drop (default: a random name)")
    parser.add_argument("--again", action="store_true", help="also time a second import of the same export")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    if not 1 <= args.messages <= MAX_MESSAGES:
        parser.error(f"--messages must be between 1 and {MAX_MESSAGES:,}")
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        log(
            "import benchmark skipped: it needs PostgreSQL (DATABASE_URL=postgres://... naming a server where "
            "this user may create databases)"
        )
        return 0
    import psycopg

    name = args.db_name or f"chat_bench_import_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": tempfile.mkdtemp(prefix="chat-bench-media-"),
    }
    with tempfile.TemporaryDirectory(prefix="chat-bench-import-") as folder:
        export = Path(folder) / "slack-export.zip"
        log(f"writing a Slack export of {args.messages:,} messages")
        began = time.monotonic()
        layout = write_export(export, args.messages, random.Random(27))
        layout["zip_mib"] = export.stat().st_size / 2**20
        log(f"written in {time.monotonic() - began:.0f} s: {layout['zip_mib']:.0f} MiB zipped")
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
            log(f"importing into {name}")
            load_before = os.getloadavg()[0]
            first = run([sys.executable, "manage.py", "import_slack", str(export)], env)
            log(f"imported in {first[0]:.0f} s")
            again = run([sys.executable, "manage.py", "import_slack", str(export)], env) if args.again else None
            with psycopg.connect(url) as conn:
                stored = conn.execute("SELECT count(*) FROM rooms_message").fetchone()[0]
        finally:
            with psycopg.connect(base, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    figures = {
        "layout": layout,
        "stored": stored,
        "first": first[:3],
        "again": again[:3] if again else None,
        "machine": machine(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "load": (load_before, os.getloadavg()[0]),
    }
    # The report without its claim links (one line per person).
    report = markdown(args, figures, first[3].split("Each imported person")[0])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "import.md").write_text(report)
    print()
    print(report)
    return 0


def markdown(args, figures, output):
    wall, cpu, memory = figures["first"]
    messages = figures["layout"]["messages"]
    lines = [
        "# Importing a Slack export (`make bench`, import part)",
        "",
        f"{figures['started']}, PostgreSQL, {figures['machine'].get('cores')} cores, Python "
        f"{figures['machine'].get('python')}, load average {figures['load'][0]:.1f} before the import and "
        f"{figures['load'][1]:.1f} after (the cores are shared). "
        f"`python -m bench.slack_import --messages {args.messages}`.",
        "",
        "| export | stored | wall | messages/s | import process CPU | its peak memory |",
        "|---|---|---|---|---|---|",
        f"| {messages:,} messages, {figures['layout']['conversations']} conversations, "
        f"{figures['layout']['people']} people ({figures['layout']['zip_mib']:.0f} MiB zipped) | "
        f"{figures['stored']:,} messages | {wall:.0f} s | "
        f"{messages / wall:,.0f} | {cpu:.0f} s | {memory:.0f} MiB |",
    ]
    if figures["again"]:
        wall, cpu, memory = figures["again"]
        lines.append(f"| the same again (imports nothing) | | {wall:.0f} s | | {cpu:.0f} s | {memory:.0f} MiB |")
    lines += ["", "The import's report:", "", "```", output.strip(), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
