"""Search and permalink latency at 1 million messages on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.search
    .venv/bin/python -m bench.search --messages 100000 --runs 30     # a quicker look

Makes a fresh database on the server of DATABASE_URL (dropped at the end
unless --keep), migrates it, seeds users, 200 rooms (one in ten private)
and the messages with COPY (text from a Zipf-distributed vocabulary, so
words have realistic frequencies), then times, through Django's test
client (view, queries, template: everything but the network), the search
page for a one-word, a two-word and a phrase query, and a permalink page
deep in history. Writes bench/results/search.md.
"""

import argparse
import io
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "search.md"
TARGET_P95_MS = 50


def vocabulary(size, rng):
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
    words = set()
    while len(words) < size:
        syllables = rng.choice((1, 2, 2, 3, 3, 4))
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables)))
    return sorted(words)


def seed(conn, messages, rooms, users, rng, words):
    weights = [1 / (rank + 1) for rank in range(len(words))]  # Zipf
    with conn.cursor() as cur:
        with cur.copy(
            "COPY auth_user (username, password, is_superuser, first_name, last_name, email, is_staff, "
            "is_active, date_joined) FROM STDIN"
        ) as copy:
            for n in range(users):
                copy.write_row((f"user{n}", "!", False, "", "", "", False, True, datetime.now(UTC)))
        cur.execute("SELECT min(id) FROM auth_user")
        first_user = cur.fetchone()[0]
        with cur.copy(
            "COPY rooms_room (kind, name, slug, topic, is_archived, is_private, created_at) FROM STDIN"
        ) as copy:
            for n in range(rooms):
                copy.write_row(("room", f"Room {n}", f"room-{n}", "", n % 17 == 0, n % 10 == 0, datetime.now(UTC)))
        cur.execute("SELECT id, is_private FROM rooms_room WHERE slug LIKE 'room-%' ORDER BY id")
        room_rows = cur.fetchall()
        private = [pk for pk, is_private in room_rows if is_private]
        with cur.copy("COPY rooms_room_members (room_id, user_id) FROM STDIN") as copy:
            for pk in private:
                for user in rng.sample(range(users), 20):
                    copy.write_row((pk, first_user + user))
        # The index is built once after the load, as for any bulk load.
        cur.execute("DROP INDEX IF EXISTS rooms_message_search")
        start = datetime.now(UTC) - timedelta(days=365)
        step = timedelta(days=365) / messages
        room_ids = [pk for pk, _ in room_rows]
        batch = 100_000
        for offset in range(0, messages, batch):
            buffer = io.StringIO()
            chosen = rng.choices(words, weights, k=min(batch, messages - offset) * 14)
            position = 0
            for n in range(offset, min(offset + batch, messages)):
                length = rng.randint(4, 24)
                text = " ".join(chosen[position : position + length])
                position += length
                if position > len(chosen) - 24:
                    position = 0
                when = (start + step * n).isoformat()
                buffer.write(f"{rng.choice(room_ids)}\t{first_user + rng.randrange(users)}\t{text}\t{when}\t0\n")
            buffer.seek(0)
            with cur.copy("COPY rooms_message (room_id, author_id, text, created_at, revision) FROM STDIN") as copy:
                copy.write(buffer.read())
            print(f"  {min(offset + batch, messages):,} messages", flush=True)
        cur.execute("CREATE INDEX rooms_message_search ON rooms_message USING gin (search_vector)")
        cur.execute("VACUUM ANALYZE")  # every table: the planner needs the rooms and users too
    return first_user


def percentiles(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=100, help="timed requests per kind")
    parser.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the benchmark makes its own database there).")

    import psycopg

    name = f"chat_bench_search_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(urlsplit(base)._replace(path=f"/{name}"))
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "project.settings",
    }
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        # Production settings serve hashed static names: the page's {% static %} needs the manifest.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
        rng = random.Random(14)
        words = vocabulary(20_000, rng)
        began = time.monotonic()
        print(f"Seeding {args.messages:,} messages in {args.rooms} rooms into {name}…", flush=True)
        with psycopg.connect(url, autocommit=True) as conn:
            first_user = seed(conn, args.messages, args.rooms, args.users, rng, words)
        seeded = time.monotonic() - began
        print(f"Seeded in {seeded:.0f} s; timing…", flush=True)
        os.environ.update(env)
        figures = measure(args, rng, words, first_user)
    finally:
        if not args.keep:
            with psycopg.connect(base, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"Kept {url}")
    report(args, seeded, figures)


def measure(args, rng, words, first_user):
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from rooms.models import Message, Room

    # A reader in several private rooms, so the permission filter has work to do.
    reader = get_user_model().objects.filter(private_rooms__isnull=False).order_by("pk").first()
    client = Client()
    client.force_login(reader)
    readable = list(Room.objects.visible_to(reader).values_list("pk", flat=True))
    texts = list(Message.objects.filter(room__in=readable).order_by("?").values_list("text", flat=True)[: args.runs])
    common = words[20:2000]  # neither stop-word-frequent nor hapax: a few hundred to thousands of hits each
    oldest = Message.objects.order_by("pk").values_list("pk", flat=True)
    deep = list(
        Message.objects.filter(room__in=readable, pk__lt=oldest[args.messages // 10])
        .order_by("?")
        .values_list("room__slug", "pk")[: args.runs]
    )
    kinds = {
        "one word": [f"/search/?q={rng.choice(common)}" for _ in range(args.runs)],
        # Two words that occur together somewhere, not side by side.
        "two words": [f"/search/?q={t.split()[0]}+{t.split()[3]}" for t in texts],
        "phrase": [f"/search/?q=%22{'+'.join(t.split()[1:3])}%22" for t in texts],
        "permalink deep in history": [f"/rooms/{slug}/messages/{pk}/" for slug, pk in deep],
        # The same rooms' plain pages: what every room page costs (the room
        # list with unread counts), which a permalink page includes.
        "room page, for comparison": [f"/rooms/{slug}/" for slug, _ in deep],
    }
    figures = {}
    for kind, urls in kinds.items():
        for url in urls[:5]:  # warm the cache: a server that has been running a while
            client.get(url, secure=True)
        samples, found = [], 0
        for url in urls:
            began = time.perf_counter()
            response = client.get(url, secure=True)
            samples.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            found += response.content.count(b'class="search-result"')
        p50, p95 = percentiles(samples)
        figures[kind] = {"p50": p50, "p95": p95, "runs": len(urls), "results per page": found / len(urls)}
        print(f"  {kind}: p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
    # What a permalink adds to a room page: the window of history around the message.
    rooms = {room.slug: room for room in Room.objects.filter(slug__in={slug for slug, _ in deep})}
    samples = []
    for slug, pk in deep:
        began = time.perf_counter()
        rooms[slug].history_around(pk)
        samples.append((time.perf_counter() - began) * 1000)
    p50, p95 = percentiles(samples)
    figures["permalink window alone (Room.history_around)"] = {"p50": p50, "p95": p95, "runs": len(deep)}
    print(f"  permalink window: p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
    return figures


def report(args, seeded, figures):
    lines = [
        "# Search benchmark (`bench/search.py`)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, PostgreSQL, {args.messages:,} messages in {args.rooms} rooms "
        f"(one in ten private), {args.users:,} users; seeded with COPY in {seeded:.0f} s (GIN index built after).",
        f"Each figure: {args.runs} requests through Django's test client (view, queries, template), "
        "by a member of private rooms, newest first, 20 results a page. Target: p95 <= "
        f"{TARGET_P95_MS} ms.",
        "",
        "| request | p50 | p95 | results on the page (mean) |",
        "|---|---|---|---|",
    ]
    for kind, f in figures.items():
        shown = (
            f"{f['results per page']:.1f}"
            if "results per page" in f and not kind.startswith(("permalink", "room"))
            else "n/a"
        )
        mark = "" if f["p95"] <= TARGET_P95_MS else " (over target)"
        lines.append(f"| {kind} | {f['p50']:.1f} ms | {f['p95']:.1f} ms{mark} | {shown} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
