"""Seed PostgreSQL with a chat's history at a given size, with COPY.

The shape of an install a few years old: 5000 people, 200 rooms (20 of them
private, 100 members each), messages spread over the rooms unevenly (a few
busy rooms hold most of the history, like a real #general), one message in
20 mentioning someone, and read marks in 20 rooms per person a little behind
each room's newest message. Every size is seeded from scratch, so the
history is spread over the same two years whatever its size.
"""

import io
import random
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from rooms.models import Message, ReadMark, Room

PEOPLE = 5000
ROOMS = 200
PRIVATE_ROOMS = 20
PRIVATE_MEMBERS = 100
READ_ROOMS = 20  # rooms each person has opened (has a read mark in)
MENTION_EVERY = 20
HISTORY_DAYS = 730
# Words of the messages; SEARCH_WORD is in about one message in 100.
WORDS = (
    "the deploy went fine but the cache looks cold again after lunch we should check the graphs "
    "before friday release notes are ready someone please review the migration plan tomorrow"
).split()
SEARCH_WORD = "invoice"
CHUNK = 200_000


def person_name(i):
    return f"person-{i:04d}"


def room_slug(k):
    return f"room-{k:03d}"


BUSY = room_slug(0)  # the busiest room: room-000 has the heaviest weight below
READER = person_name(0)  # the person whose pages are measured
STAFF = "staff"


def table(model):
    return connection.ops.quote_name(model._meta.db_table)


def copy(tbl, columns, lines):
    """COPY rows (already tab-separated text lines) into `tbl`, in chunks."""
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {tbl} ({', '.join(columns)}) FROM STDIN") as out:
        buffer = io.StringIO()
        for count, line in enumerate(lines, 1):
            buffer.write(line)
            if count % CHUNK == 0:
                out.write(buffer.getvalue())
                buffer = io.StringIO()
        out.write(buffer.getvalue())


def reset_sequence(model):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM {table(model)}), 0) + 1,"
            " false)",
            [model._meta.db_table],
        )


def clear():
    """Empty every table the seed fills (people, rooms, history, sessions)."""
    User = get_user_model()
    tables = [Message.mentions.through, Message, ReadMark, Room.members.through, Room, User]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(table(m) for m in tables)}, django_session, django_admin_log CASCADE")


def people_and_rooms(rng):
    User = get_user_model()
    now = timezone.now().isoformat()
    # An unusable password ("!" prefix) is what set_unusable_password stores.
    users = [f"{i + 1}\t!bench\tf\t{person_name(i)}\t\t\t\tf\tt\t{now}\n" for i in range(PEOPLE)]
    users.append(f"{PEOPLE + 1}\t!bench\tt\t{STAFF}\t\t\t\tt\tt\t{now}\n")
    copy(
        table(User),
        [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        ],
        users,
    )
    # Private rooms are the last PRIVATE_ROOMS; the reader belongs to 5 of them.
    rooms = [
        f"{k + 1}\t{Room.ROOM}\tRoom {k:03d}\t{room_slug(k)}\tTalk about topic {k}\tf\t"
        f"{'t' if k >= ROOMS - PRIVATE_ROOMS else 'f'}\t{now}\n"
        for k in range(ROOMS)
    ]
    copy(table(Room), ["id", "kind", "name", "slug", "topic", "is_archived", "is_private", "created_at"], rooms)
    members = []
    for k in range(ROOMS - PRIVATE_ROOMS, ROOMS):
        chosen = set(rng.sample(range(1, PEOPLE), PRIVATE_MEMBERS - 1))
        if k < ROOMS - PRIVATE_ROOMS + 5:
            chosen.add(0)
        else:
            chosen.add(rng.randrange(1, PEOPLE))
        members += [f"{k + 1}\t{i + 1}\n" for i in sorted(chosen)]
    copy(table(Room.members.through), ["room_id", "user_id"], members)
    for model in (User, Room, Room.members.through):
        reset_sequence(model)


def indexes_dropped(models_):
    """Drop the secondary indexes of these tables; returns what recreates them.
    Building an index once after COPY is far faster than updating it per row
    (a trigram index most of all). Indexes behind constraints stay."""
    names = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [names],
        )
        found = cursor.fetchall()
        for name, _ in found:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [definition for _, definition in found]


def history(rng, size):
    """`size` messages over the last HISTORY_DAYS, and their mentions."""
    # Zipf-like weights: room-000 holds about 9% of the history, the quietest a few hundred messages per million.
    weights = [1 / (k + 1) ** 0.9 for k in range(ROOMS)]
    rooms = rng.choices(range(1, ROOMS + 1), weights=weights, k=size)
    authors = rng.choices(range(1, PEOPLE + 1), k=size)
    sentences = [" ".join(rng.choices(WORDS, k=rng.randrange(4, 16))) for _ in range(997)]
    sentences += [f"{SEARCH_WORD} {s}" for s in sentences[:10]]
    texts = rng.choices(sentences, k=size)
    start = timezone.now() - timedelta(days=HISTORY_DAYS)
    step = timedelta(days=HISTORY_DAYS) / size
    mentions = []
    recreate = indexes_dropped([Message, Message.mentions.through])

    def rows():
        for i in range(size):
            text = texts[i]
            if i % MENTION_EVERY == 7:
                named = rng.randrange(PEOPLE)
                mentions.append(f"{i + 1}\t{named + 1}\n")
                text = f"@{person_name(named)} {text}"
            yield f"{i + 1}\t{rooms[i]}\t{authors[i]}\t{text}\t{(start + step * i).isoformat()}\t0\n"

    copy(table(Message), ["id", "room_id", "author_id", "text", "created_at", "revision"], rows())
    copy(table(Message.mentions.through), ["message_id", "user_id"], mentions)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for definition in recreate:
            cursor.execute(definition)
    reset_sequence(Message)
    reset_sequence(Message.mentions.through)


def read_marks(rng):
    """20 rooms per person (the reader has the busy room among them), each
    read up to a message a little behind the room's newest one."""
    now = timezone.now().isoformat()
    public = range(1, ROOMS - PRIVATE_ROOMS + 1)

    def rows():
        for i in range(PEOPLE):
            chosen = set(rng.sample(public, READ_ROOMS))
            if i == 0:
                chosen = {1} | set(list(chosen)[: READ_ROOMS - 1])
            for room in sorted(chosen):
                yield f"{i + 1}\t{room}\t0\t{now}\n"

    copy(table(ReadMark), ["user_id", "room_id", "last_read", "updated_at"], rows())
    reset_sequence(ReadMark)
    with connection.cursor() as cursor:
        # Up to 50 messages behind each room's newest.
        cursor.execute(
            f"UPDATE {table(ReadMark)} AS rm SET last_read = COALESCE((SELECT m.id FROM {table(Message)} AS m "
            "WHERE m.room_id = rm.room_id ORDER BY m.id DESC OFFSET floor(random() * 50)::int LIMIT 1), 0)"
        )


def analyze():
    """What autovacuum would have done on an install this old: statistics and
    the visibility map (index-only scans need it). Then a checkpoint, so the
    seed's writes are on disk before anything is timed: otherwise every
    COMMIT measured waits behind them."""
    from django.db import DatabaseError

    previous = connection.get_autocommit()
    connection.set_autocommit(True)
    try:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            try:
                cursor.execute("CHECKPOINT")
            except DatabaseError:  # needs superuser or pg_checkpoint: timings are noisier without it
                pass
    finally:
        connection.set_autocommit(previous)


def seed(size, seed_value=12):
    """Replace the database's chat data with a history of `size` messages;
    returns the seconds it took."""
    t0 = time.monotonic()
    rng = random.Random(seed_value)
    clear()
    people_and_rooms(rng)
    history(rng, size)
    read_marks(rng)
    analyze()
    return time.monotonic() - t0
