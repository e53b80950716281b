"""What posting costs the database: the statements one message sends,
counted on every connection the socket's database thread takes."""

import threading
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.db.backends.signals import connection_created

from accounts.models import Profile
from rooms.tests.test_sockets import frame, room_frame

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
    await Profile.objects.acreate(user=alice, display_name="Alice Liddell")

    html, sent = await posted(communicator, statements, "hello")

    assert "hello" in html and "Alice Liddell" in html
    # Who posts (with their profile), the room's state, the row, and who
    # follows every message of the room: nothing to render it.
    assert len(sent) == 4, "\n".join(sent)
    assert sent[2].startswith('INSERT INTO "rooms_message"')


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
