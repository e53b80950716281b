"""What posting costs the database: the statements one message sends,
counted on every connection the socket's database thread takes."""

import threading
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.db.backends.signals import connection_created

from accounts.models import Profile
from realtime.hub import get_hub
from realtime.tests.test_hub import eventually
from rooms.models import Message, Room
from rooms.tests.test_sockets import database_thread_busy, frame, room_frame

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_connections")]

# Transaction control: PostgreSQL's driver sends it outside Django's cursors,
# SQLite's inside; either way it is no question asked.
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@pytest.fixture
async def statements():
    """The SQL statements sent from now on through the database thread's
    connection (the one socket handlers use) or any new one, as a list."""
    seen = []
    lock = threading.Lock()

    def log(execute, sql, params, many, context):
        if not str(sql).lstrip().upper().startswith(CONTROL):
            with lock:
                seen.append(" ".join(str(sql).split()))
        return execute(sql, params, many, context)

    def wrap(sender=None, connection=connection, **kwargs):
        if log not in connection.execute_wrappers:
            connection.execute_wrappers.append(log)

    def unwrap():
        if log in connection.execute_wrappers:
            connection.execute_wrappers.remove(log)

    connection_created.connect(wrap, weak=False)
    await sync_to_async(wrap)()
    yield seen
    connection_created.disconnect(wrap)
    await sync_to_async(unwrap)()


async def posted(communicator, statements, text):
    """Post as a page does (with a client id), and see it come back."""
    statements.clear()
    await communicator.send_to(text_data=frame(text, client_id=uuid.uuid4().hex))
    html = await room_frame(communicator)
    return html, list(statements)


async def test_a_posted_message_costs_four_statements_and_shows_the_name_of_now(ws, lobby, alice, statements):
    communicator = await ws.joined(alice)
    await posted(communicator, statements, "warm up")

    html, sent = await posted(communicator, statements, "hello")

    assert "hello" in html
    # Who posts (with their profile), the room's state, the row, and who
    # follows every message of the room: nothing to render it.
    assert len(sent) == 4, "\n".join(sent)
    assert sent[2].startswith('INSERT INTO "rooms_message"')

    await Profile.objects.acreate(user=alice, display_name="Alice Liddell")
    html, sent = await posted(communicator, statements, "renamed")

    assert "renamed" in html and "Alice Liddell" in html
    # The poster's row changed since their last message: their objects are
    # read again, once.
    assert len(sent) == 5, "\n".join(sent)
    html, sent = await posted(communicator, statements, "and again")
    assert "Alice Liddell" in html and len(sent) == 4


async def test_mentions_cost_the_same_statements_however_many_people_they_name(
    ws, lobby, alice, bob, carol, statements
):
    communicator = await ws.joined(alice)
    await posted(communicator, statements, "warm up")
    await Profile.objects.acreate(user=bob, display_name="Bob Builder")

    one_html, one = await posted(communicator, statements, "hi @bob")
    two_html, two = await posted(communicator, statements, "hi @bob and @carol")

    assert one_html.count('class="mention') == 1 and two_html.count('class="mention') == 2
    assert "Bob Builder" in two_html  # the mention's title, from the profile fetched with it
    # Who is named, their rows, who hears of it (bots, emails): per message,
    # not per person named.
    assert len(one) == len(two), "\n".join(two)


async def test_posting_in_a_private_room_reads_the_membership_with_the_room(ws, alice, statements):
    private = await Room.objects.acreate(name="Board", slug="board", is_private=True)
    await private.members.aadd(alice)
    communicator = await ws.joined(alice, "board")
    await posted(communicator, statements, "warm up")

    html, sent = await posted(communicator, statements, "minutes attached")

    assert "minutes attached" in html
    # Membership is read with the room's state, in one statement; after
    # commit, the members' ids say whose room lists count the message.
    assert len(sent) == 5, "\n".join(sent)
    assert "EXISTS" in sent[1] and sent[2].startswith('INSERT INTO "rooms_message"')


async def test_messages_sent_while_the_database_is_busy_go_in_one_call_in_order(ws, lobby, alice, statements):
    communicator = await ws.joined(alice)
    await posted(communicator, statements, "warm up")
    (socket,) = get_hub().rooms[lobby.group_name]
    statements.clear()
    async with database_thread_busy():
        for n in range(1, 6):
            await communicator.send_to(text_data=frame(f"burst {n}", client_id=uuid.uuid4().hex))
        # The first waits for the thread; the four behind it wait together.
        await eventually(lambda: len(socket.queued_posts) == 4)
    shown = ""  # the hub may send several messages in one frame
    while "burst 5" not in shown:
        shown += await room_frame(communicator)

    assert sorted(range(1, 6), key=lambda n: shown.index(f"burst {n}")) == [1, 2, 3, 4, 5]
    assert [m.text async for m in Message.objects.order_by("-pk")[:5]][::-1] == [f"burst {n}" for n in range(1, 6)]
    # Who is posting is looked up once per call, not once per message.
    assert sum(sql.startswith('SELECT "auth_user"') for sql in statements) == 2, "\n".join(statements)
