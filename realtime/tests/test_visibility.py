"""Who has a page on screen: told by each page over its socket, counted per
person across tabs and processes, read by the worker (another process)."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from realtime import visibility

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_connections")]


@pytest.fixture(params=["one process", "redis"])
def record(request):
    if request.param == "redis":
        request.getfixturevalue("use_redis")
    return visibility.record()


async def looking(*user_pks):
    """What the worker reads: sync code, in a thread of its own."""
    return await sync_to_async(visibility.record().looking, thread_sensitive=False)(user_pks)


async def becomes(expected, *user_pks, timeout=3.0):
    """Wait until looking(*user_pks) is `expected`: frames are handled in the consumer's own time."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (now := await looking(*user_pks)) != expected:
        assert asyncio.get_running_loop().time() < deadline, f"still {now}, not {expected}"
        await asyncio.sleep(0.02)


async def test_a_person_is_looking_while_any_of_their_pages_is_on_screen(record):
    await record.show(1, "alice-tab-1")
    await record.show(1, "alice-tab-2")
    await record.show(2, "bob-tab")
    assert await looking(1, 2, 3) == {1, 2}
    await record.hide(1, "alice-tab-1")
    assert await looking(1, 2) == {1, 2}  # her other tab is still on screen
    await record.hide(1, "alice-tab-2")
    await record.hide(2, "bob-tab")
    assert await looking(1, 2) == set()


async def test_the_page_of_a_process_that_died_stops_counting_after_the_ttl(record, settings):
    settings.CHAT_PRESENCE_TTL = 0  # its entry is never refreshed: expired at once
    await record.show(1, "tab-of-a-dead-process")
    assert await looking(1) == set()


@pytest.mark.redis
async def test_what_one_process_records_another_reads(use_redis):
    server = visibility.RedisVisibility(use_redis)
    worker = visibility.RedisVisibility(use_redis)
    await server.show(7, "tab")
    assert await sync_to_async(worker.looking, thread_sensitive=False)([7, 8]) == {7}


async def test_a_page_reports_its_tab_shown_and_hidden_and_closing_ends_it(ws, record, lobby, alice, bob):
    room_page = await ws.joined(alice)
    list_page = await ws.listening(bob)
    assert await looking(alice.pk, bob.pk) == set()  # a page counts once it says so
    await room_page.send_to(text_data=json.dumps({"visible": True}))
    await list_page.send_to(text_data=json.dumps({"visible": True}))
    await becomes({alice.pk, bob.pk}, alice.pk, bob.pk)
    await room_page.send_to(text_data=json.dumps({"visible": False}))
    await becomes({bob.pk}, alice.pk, bob.pk)
    await list_page.disconnect()
    await becomes(set(), alice.pk, bob.pk)


async def test_a_visibility_that_is_not_true_or_false_is_refused(ws, lobby, alice):
    page = await ws.joined(alice)
    await page.send_to(text_data=json.dumps({"visible": "yes"}))
    assert "&#x27;visible&#x27; must be true or false." in await page.receive_from()
    assert await looking(alice.pk) == set()


async def test_the_heartbeat_keeps_a_page_on_screen_recorded(ws, lobby, alice, settings):
    settings.CHAT_PRESENCE_HEARTBEAT = 0.1
    page = await ws.joined(alice)
    await page.send_to(text_data=json.dumps({"visible": True}))
    await becomes({alice.pk}, alice.pk)
    # Its entry lost (expired while the process was busy): the next heartbeat writes it again.
    record = visibility.record()
    with record.lock:
        record.users.clear()
    await becomes({alice.pk}, alice.pk)
