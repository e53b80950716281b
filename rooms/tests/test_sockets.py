import asyncio
import contextlib
import json
import re
import threading

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import Client

from project.asgi import application
from rooms.models import Message, ReadMark, Room

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_connections")]


def is_room_list(html):
    return any(piece in html for piece in ("#room-list", 'id="room-entry-', "#room-activity"))


async def room_frame(communicator, timeout=1):
    """The next frame about the room itself, past room-list updates (another
    group, so they may come first)."""
    while is_room_list(html := await communicator.receive_from(timeout)):
        pass
    return html


def frame(text, **extra):
    return json.dumps({"message": text, "headers": {"HX-Request": "true"}, **extra})


async def saved_texts():
    return [m.text async for m in Message.objects.order_by("id")]


# --- close codes -------------------------------------------------------------


async def test_anonymous_is_closed_with_4401(ws, lobby):
    communicator = await ws.connect(AnonymousUser())
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}


async def test_unknown_room_is_closed_with_4404(ws, alice):
    communicator = await ws.connect(alice, "no-such-room")
    assert (await communicator.receive_output())["code"] == 4404


async def test_private_room_of_others_is_closed_with_4404(ws, private_room, bob):
    communicator = await ws.connect(bob, "secret")
    assert (await communicator.receive_output())["code"] == 4404


async def test_member_of_private_room_connects(ws, private_room, alice):
    communicator = await ws.joined(alice, "secret")
    await communicator.send_to(text_data=frame("members only"))
    assert "members only" in await communicator.receive_from()


async def test_send_to_archived_room_errors_then_closes_with_4403(ws, archived_room, alice):
    communicator = await ws.joined(alice, "old")
    await communicator.send_to(text_data=frame("too late"))
    error = await communicator.receive_from()
    assert 'id="chat-errors"' in error and "archived" in error
    assert (await communicator.receive_output())["code"] == 4403
    assert await saved_texts() == []


async def test_room_archived_while_open_refuses_the_next_send(ws, lobby, alice):
    communicator = await ws.joined(alice)
    lobby.is_archived = True
    await lobby.asave()
    await communicator.send_to(text_data=frame("after archive"))
    # The archive's own broadcast (the composer turning read-only) may come
    # before or after the refusal: read every frame up to the close.
    frames = []
    while (output := await communicator.receive_output(timeout=2))["type"] == "websocket.send":
        frames.append(output["text"])
    assert output["code"] == 4403
    assert any("chat-error" in text and "archived" in text for text in frames)
    assert await saved_texts() == []


# --- the real stack: session cookie and Origin ---------------------------------


async def session_cookie(user):
    client = Client()
    await sync_to_async(client.force_login)(user)
    return client.cookies["sessionid"].value


async def test_session_cookie_with_allowed_origin_connects(ws, lobby, alice):
    cookie = await session_cookie(alice)
    communicator, connected = await ws.open(
        "/ws/rooms/lobby/",
        app=application,
        headers=[
            (b"origin", b"http://127.0.0.1:8000"),
            (b"host", b"127.0.0.1:8000"),
            (b"cookie", f"sessionid={cookie}".encode()),
        ],
    )
    assert connected
    assert "alice" in await communicator.receive_from()


async def test_foreign_origin_is_refused(ws, lobby, alice):
    cookie = await session_cookie(alice)
    _communicator, connected = await ws.open(
        "/ws/rooms/lobby/",
        app=application,
        headers=[(b"origin", b"https://evil.example"), (b"cookie", f"sessionid={cookie}".encode())],
    )
    assert not connected


async def test_no_session_cookie_is_closed_with_4401(ws, lobby):
    communicator, connected = await ws.open(
        "/ws/rooms/lobby/", app=application, headers=[(b"origin", b"http://localhost"), (b"host", b"localhost")]
    )
    assert connected
    assert (await communicator.receive_output())["code"] == 4401


# --- messages ------------------------------------------------------------------


async def test_message_reaches_every_socket_in_the_room_once(ws, lobby, alice, bob):
    alice_socket = await ws.joined(alice)
    bob_socket = await ws.joined(bob)
    assert "bob" in await alice_socket.receive_from()  # bob's arrival

    await alice_socket.send_to(text_data=frame("hello bob"))
    for socket in (alice_socket, bob_socket):
        html = await socket.receive_from()
        message = await Message.objects.aget()
        assert f'id="message-{message.pk}"' in html
        assert "hello bob" in html and "alice" in html
        assert await socket.receive_nothing()


async def test_message_is_saved_before_it_is_broadcast(ws, lobby, alice):
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=frame("persisted first"))
    html = await communicator.receive_from()
    # The fragment names the row's pk: the row existed when it was rendered.
    message = await Message.objects.aget(text="persisted first")
    assert f'id="message-{message.pk}"' in html


async def test_text_is_stored_as_typed_and_broadcast_escaped(ws, lobby, alice):
    communicator = await ws.joined(alice)
    hostile = '<script>alert(1)</script> "quoted" {{ secret }} <img src=x onerror=alert(2)>'
    await communicator.send_to(text_data=frame(hostile))
    html = await communicator.receive_from()
    assert await saved_texts() == [hostile]
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


async def test_shortcodes_sent_through_the_socket_arrive_as_emoji(ws, lobby, alice, bob):
    alice_socket, bob_socket = await ws.joined(alice), await ws.joined(bob)
    await alice_socket.receive_from()  # bob's arrival
    await alice_socket.send_to(text_data=frame("party :tada: `:tada:`"))
    assert "party 🎉 <code>:tada:</code>" in await bob_socket.receive_from()
    assert await saved_texts() == ["party 🎉 `:tada:`"]


async def test_a_refused_message_hands_back_its_shortcodes_as_typed(ws, lobby, alice, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 5
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=frame("too long :tada:"))
    assert 'data-unsent="too long :tada:"' in await communicator.receive_from()


async def test_other_rooms_do_not_receive_the_message(ws, lobby, alice, bob, django_user_model):
    from rooms.models import Room

    await Room.objects.acreate(name="Elsewhere", slug="elsewhere")
    in_lobby = await ws.joined(alice)
    elsewhere = await ws.joined(bob, "elsewhere")
    await in_lobby.send_to(text_data=frame("lobby only"))
    assert "lobby only" in await in_lobby.receive_from()
    # Only the lobby's unread signal for the room list, not the message.
    signal = await elsewhere.receive_from()
    assert "lobby only" not in signal and f'data-room-id="{lobby.pk}"' in signal
    assert await elsewhere.receive_nothing()
    assert await in_lobby.receive_nothing()  # the message itself is its signal


# --- bad input: an error fragment, nothing saved, connection still usable -----------

BAD_FRAMES = {
    "not json": {"text_data": "hello there"},
    "json array": {"text_data": '["message"]'},
    "missing message": {"text_data": json.dumps({"text": "hi"})},
    "number": {"text_data": json.dumps({"message": 42})},
    "null": {"text_data": json.dumps({"message": None})},
    "list": {"text_data": json.dumps({"message": ["a"]})},
    "blank": {"text_data": frame("   \n\t ")},
    "empty": {"text_data": frame("")},
    "binary": {"bytes_data": b'{"message": "hi"}'},
}


@pytest.mark.parametrize("kind", BAD_FRAMES)
async def test_bad_frames_get_an_error_and_save_nothing(ws, lobby, alice, kind):
    communicator = await ws.joined(alice)
    await communicator.send_to(**BAD_FRAMES[kind])
    error = await communicator.receive_from()
    assert 'id="chat-errors"' in error and 'class="chat-error"' in error
    assert await saved_texts() == []
    # Still connected and usable.
    await communicator.send_to(text_data=frame("still here"))
    assert "still here" in await communicator.receive_from()
    assert await saved_texts() == ["still here"]


async def test_error_goes_only_to_the_sender(ws, lobby, alice, bob):
    alice_socket = await ws.joined(alice)
    bob_socket = await ws.joined(bob)
    await alice_socket.receive_from()  # bob's arrival
    await alice_socket.send_to(text_data=frame(" "))
    assert "chat-error" in await alice_socket.receive_from()
    assert await bob_socket.receive_nothing()


async def test_over_length_is_refused_and_text_handed_back(ws, lobby, alice, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 20
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=frame("x" * 21))
    error = await communicator.receive_from()
    assert "20 characters" in error
    assert 'data-unsent="xxxxxxxxxxxxxxxxxxxxx"' in error
    assert await saved_texts() == []
    await communicator.send_to(text_data=frame("y" * 20))
    assert "y" * 20 in await communicator.receive_from()


async def test_huge_frame_is_refused_before_parsing(ws, lobby, alice, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 10
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data="{" * (1024 * 1024))  # would be a JSON error if parsed
    assert "limited to 10 characters" in await communicator.receive_from()
    assert await saved_texts() == []


async def test_handed_back_text_is_escaped(ws, lobby, alice, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 5
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=frame('"><script>x</script>'))
    error = await communicator.receive_from()
    assert "<script>" not in error
    assert 'data-unsent="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in error


# --- flood control -----------------------------------------------------------------


async def test_flood_control_refuses_excess_messages(ws, lobby, alice, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 3
    settings.CHAT_RATE_LIMIT_SECONDS = 60
    communicator = await ws.joined(alice)
    for n in range(3):
        await communicator.send_to(text_data=frame(f"msg {n}"))
        assert f"msg {n}" in await communicator.receive_from()
    await communicator.send_to(text_data=frame("one too many"))
    error = await communicator.receive_from()
    assert "too quickly" in error and 'data-unsent="one too many"' in error
    assert await saved_texts() == ["msg 0", "msg 1", "msg 2"]


async def test_flood_limit_is_per_user_across_sockets(ws, lobby, alice, bob, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 2
    settings.CHAT_RATE_LIMIT_SECONDS = 60
    tab1 = await ws.joined(alice)
    tab2 = await ws.joined(alice)
    await tab1.send_to(text_data=frame("one"))
    assert "one" in await tab1.receive_from()
    assert "one" in await tab2.receive_from()
    await tab2.send_to(text_data=frame("two"))
    assert "two" in await tab2.receive_from()
    await tab2.send_to(text_data=frame("three"))
    assert "too quickly" in await tab2.receive_from()
    assert await saved_texts() == ["one", "two"]
    # Bob has his own allowance.
    bob_socket = await ws.joined(bob)
    await bob_socket.send_to(text_data=frame("bob speaks"))
    assert "bob speaks" in await bob_socket.receive_from()


# --- presence --------------------------------------------------------------------


async def test_presence_lists_each_user_once_and_drops_them_when_their_last_tab_closes(ws, lobby, alice, bob):
    bob_socket = await ws.joined(bob)
    tab1 = await ws.joined(alice)
    assert presence_of(await bob_socket.receive_from()) == ["alice", "bob"]
    # A second tab changes nobody's presence: only that tab is told who is here.
    tab2 = await ws.connect(alice)
    assert presence_of(await tab2.receive_from()) == ["alice", "bob"]
    assert await bob_socket.receive_nothing()
    await tab1.disconnect()
    assert await bob_socket.receive_nothing()
    await tab2.disconnect()
    assert presence_of(await bob_socket.receive_from()) == ["bob"]


async def test_a_tab_closed_while_it_joins_leaves_nobody_behind(ws, lobby, alice, bob, monkeypatch):
    from autobahn.exception import Disconnected

    from rooms.sockets import RoomConsumer

    bob_socket = await ws.joined(bob)
    tab1 = await ws.joined(alice)
    assert presence_of(await bob_socket.receive_from()) == ["alice", "bob"]

    # Alice's second tab closes before it is told who is here.
    async def closed(self, html):
        raise Disconnected("Attempt to send on a closed protocol")

    send_frame = RoomConsumer.send_frame
    monkeypatch.setattr(RoomConsumer, "send_frame", closed)
    tab2 = await ws.connect(alice)
    assert (await tab2.receive_output())["type"] == "websocket.close"
    monkeypatch.setattr(RoomConsumer, "send_frame", send_frame)

    await tab1.disconnect()
    assert presence_of(await bob_socket.receive_from()) == ["bob"]


def presence_of(html):
    import re

    assert 'id="presence"' in html
    return re.findall(r'data-username="([^"]+)"', html)


# --- across processes: the Redis layer -----------------------------------------------


@pytest.mark.redis
async def test_redis_layer_broadcasts_and_shares_flood_and_presence(ws, use_redis, lobby, alice, bob, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 1
    settings.CHAT_RATE_LIMIT_SECONDS = 60
    alice_socket = await ws.joined(alice)
    bob_socket = await ws.joined(bob)
    assert presence_of(await alice_socket.receive_from()) == ["alice", "bob"]
    await alice_socket.send_to(text_data=frame("via redis"))
    assert "via redis" in await bob_socket.receive_from(timeout=5)
    assert "via redis" in await alice_socket.receive_from(timeout=5)
    await alice_socket.send_to(text_data=frame("flooding"))
    assert "too quickly" in await alice_socket.receive_from(timeout=5)
    assert await saved_texts() == ["via redis"]
    await alice_socket.disconnect()
    assert presence_of(await bob_socket.receive_from(timeout=5)) == ["bob"]


# --- idempotent sends --------------------------------------------------------------


async def test_same_client_id_posts_once(ws, lobby, alice, bob):
    alice_socket = await ws.joined(alice)
    await alice_socket.send_to(text_data=frame("only once", client_id="c-1"))
    assert "only once" in await alice_socket.receive_from()
    await alice_socket.send_to(text_data=frame("only once", client_id="c-1"))
    assert await alice_socket.receive_nothing()
    # From another tab of the same user too (a resend after reconnecting).
    tab2 = await ws.joined(alice)
    await tab2.send_to(text_data=frame("only once", client_id="c-1"))
    assert await tab2.receive_nothing()
    assert await saved_texts() == ["only once"]
    # The id is per author: bob's "c-1" is his own message.
    bob_socket = await ws.joined(bob)
    await bob_socket.send_to(text_data=frame("bob's", client_id="c-1"))
    assert "bob&#x27;s" in await bob_socket.receive_from()
    assert await saved_texts() == ["only once", "bob's"]


async def test_bad_client_id_is_refused(ws, lobby, alice):
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=frame("hi", client_id=["not", "a", "string"]))
    assert "client_id" in await communicator.receive_from()
    await communicator.send_to(text_data=frame("hi", client_id="x" * 65))
    assert "64 characters" in await communicator.receive_from()
    assert await saved_texts() == []


# --- catch-up after a reconnect --------------------------------------------------------


async def test_sync_sends_missed_messages_in_order_and_deletions(ws, lobby, alice, bob):
    kept = await Message.objects.acreate(room=lobby, author=alice, text="seen before")
    deleted = await Message.objects.acreate(room=lobby, author=alice, text="deleted meanwhile")
    missed = [await Message.objects.acreate(room=lobby, author=bob, text=f"missed {n}") for n in range(3)]
    deleted_pk = deleted.pk
    await deleted.adelete()
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=json.dumps({"sync": {"after": deleted_pk, "known": [kept.pk, deleted_pk]}}))
    html = await communicator.receive_from()
    positions = [html.index(f'id="message-{m.pk}"') for m in missed]
    assert positions == sorted(positions)
    assert f'id="message-{kept.pk}"' not in html
    assert f'<div id="message-{deleted_pk}" hx-swap-oob="delete"></div>' in html
    assert "data-room-list" in await communicator.receive_from()  # then the room list, fresh
    assert await communicator.receive_nothing()


async def test_sync_renders_mentions_and_formatting_like_the_live_broadcast(ws, lobby, alice, bob):
    missed = await sync_to_async(Message.objects.post)(lobby, bob, "**look** @alice")
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=json.dumps({"sync": {"after": missed.pk - 1, "known": []}}))
    html = await communicator.receive_from()
    assert f'<strong>look</strong> <span class="mention" data-user-id="{alice.pk}">@alice</span>' in html


async def test_sync_pages_through_a_long_absence(ws, lobby, alice, settings):
    settings.CHAT_CATCH_UP_BATCH = 4
    pks = [(await Message.objects.acreate(room=lobby, author=alice, text=f"m{n}")).pk for n in range(10)]
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=json.dumps({"sync": {"after": 0, "known": []}}))
    frames = [await communicator.receive_from() for _ in range(3)]
    seen = [int(pk) for html in frames for pk in re.findall(r'id="message-(\d+)"', html)]
    assert seen == pks
    assert "data-room-list" in await communicator.receive_from()
    assert await communicator.receive_nothing()


async def test_sync_only_covers_this_room(ws, lobby, alice):
    from rooms.models import Room

    other = await Room.objects.acreate(name="Other", slug="other")
    elsewhere = await Message.objects.acreate(room=other, author=alice, text="elsewhere")
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=json.dumps({"sync": {"after": 0, "known": [elsewhere.pk]}}))
    html = await communicator.receive_from()
    assert "elsewhere" not in html


@pytest.mark.parametrize(
    "sync",
    [{"after": "x"}, {"known": "abc"}, ["after"], {"known": [{"a": 1}]}, {"revised": [1]}, {"revised": {"1": "x"}}],
)
async def test_bad_sync_request_gets_an_error(ws, lobby, alice, sync):
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=json.dumps({"sync": sync}))
    assert "sync request" in await communicator.receive_from()
    await communicator.send_to(text_data=frame("still fine"))
    assert "still fine" in await communicator.receive_from()


# --- live moderation -------------------------------------------------------------------


async def test_deleting_messages_removes_them_from_open_pages(ws, lobby, alice):
    communicator = await ws.joined(alice)
    first = await Message.objects.acreate(room=lobby, author=alice, text="one")
    await Message.objects.acreate(room=lobby, author=alice, text="two")
    await sync_to_async(Message.objects.filter(pk=first.pk).delete)()
    html = await room_frame(communicator)
    # Gone from the history, and from the quotes of replies to it.
    assert html.startswith(f'<div id="message-{first.pk}" hx-swap-oob="delete"></div>')
    assert f'hx-swap-oob="outerHTML:.quote-of-message-{first.pk}"' in html and "message deleted" in html
    assert await saved_texts() == ["two"]


async def test_archiving_swaps_the_composer_for_a_note_and_back(ws, lobby, alice):
    communicator = await ws.joined(alice)
    await sync_to_async(lobby.set_archived)(True)
    html = await room_frame(communicator)
    assert 'id="composer" hx-swap-oob="outerHTML"' in html and "archived" in html
    assert 'id="message-form"' not in html
    await sync_to_async(lobby.set_archived)(False)
    html = await room_frame(communicator)
    assert 'id="message-form"' in html and 'data-max-length="2000"' in html and "maxlength" not in html


async def test_removed_member_is_told_and_closed_with_4404(ws, private_room, alice, bob):
    await private_room.members.aadd(bob)
    alice_socket = await ws.joined(alice, "secret")
    bob_socket = await ws.joined(bob, "secret")
    await alice_socket.receive_from()  # bob arrived
    await private_room.members.aremove(bob)
    assert "no longer have access" in await bob_socket.receive_from()
    assert (await bob_socket.receive_output())["code"] == 4404
    await bob_socket.disconnect()  # the browser completes the close handshake
    # Alice stays, and sees bob leave.
    assert presence_of(await room_frame(alice_socket)) == ["alice"]


async def test_room_made_private_closes_non_members(ws, lobby, alice, bob):
    alice_socket = await ws.joined(alice)
    bob_socket = await ws.joined(bob)
    await alice_socket.receive_from()  # bob arrived

    def make_private():
        with transaction.atomic():  # as the admin saves a room and its members
            lobby.is_private = True
            lobby.save()
            lobby.members.add(alice)

    await sync_to_async(make_private)()
    assert "no longer have access" in await bob_socket.receive_from()
    assert (await bob_socket.receive_output())["code"] == 4404
    await bob_socket.disconnect()
    assert presence_of(await room_frame(alice_socket)) == ["alice"]


async def test_deleting_the_room_closes_its_pages(ws, lobby, alice):
    communicator = await ws.joined(alice)
    await sync_to_async(lobby.delete)()
    assert "has been deleted" in await communicator.receive_from()
    assert (await communicator.receive_output())["code"] == 4404


async def test_admin_delete_reaches_open_pages(ws, lobby, alice, django_user_model):
    staff = await django_user_model.objects.acreate_superuser("staff", password="pw-staff-123")
    communicator = await ws.joined(alice)
    message = await Message.objects.acreate(room=lobby, author=alice, text="spam")
    client = Client()
    await sync_to_async(client.force_login)(staff)
    response = await sync_to_async(client.post)(f"/admin/rooms/message/{message.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert f'id="message-{message.pk}" hx-swap-oob="delete"' in await room_frame(communicator)


# --- presence heartbeat ----------------------------------------------------------------


async def test_expired_entries_of_a_dead_process_are_announced_gone(ws, lobby, alice, settings):
    from realtime import presence

    settings.CHAT_PRESENCE_HEARTBEAT = 0.2
    settings.CHAT_PRESENCE_TTL = 1
    # A socket of a process that died: its entry is never refreshed nor removed.
    await presence.backend().join(lobby.pk, [("socket-of-a-dead-process", "ghost")])
    communicator = await ws.connect(alice)
    assert presence_of(await communicator.receive_from()) == ["alice", "ghost"]
    assert presence_of(await communicator.receive_from(timeout=3)) == ["alice"]


@pytest.mark.redis
async def test_socket_closes_with_4012_when_redis_lost_its_state(ws, use_redis, lobby, alice, settings):
    import redis.asyncio

    settings.CHAT_PRESENCE_HEARTBEAT = 0.2
    communicator = await ws.joined(alice)
    client = redis.asyncio.Redis.from_url(use_redis)
    # What a Redis restart does to our keys: they are gone.
    keys = await client.keys(f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}*")
    keys += await client.keys("test-*presence*")
    await client.delete(*keys)
    await client.aclose()
    assert (await communicator.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4012}


async def test_connect_while_redis_is_away_closes_with_4012_and_leaves_no_trace(ws, lobby, alice, monkeypatch):
    from realtime import presence
    from realtime.hub import get_hub

    async def redis_away(*args):
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(presence.backend(), "join", redis_away)
    communicator = await ws.connect(alice)
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4012}
    assert get_hub().rooms == {}


# --- typing --------------------------------------------------------------------------


async def test_typing_reaches_the_room_throttled_and_stores_nothing(ws, lobby, alice, bob, monkeypatch):
    from rooms import sockets as consumers

    alice_socket = await ws.joined(alice)
    bob_socket = await ws.joined(bob)
    await alice_socket.receive_from()  # bob arrived
    await alice_socket.send_to(text_data=json.dumps({"typing": True}))
    html = await bob_socket.receive_from()
    assert 'hx-swap-oob="beforeend:#typing-signals"' in html and 'data-name="alice"' in html
    # A second keystroke within the throttle window is not broadcast.
    await alice_socket.send_to(text_data=json.dumps({"typing": True}))
    assert await bob_socket.receive_nothing()
    monkeypatch.setattr(consumers, "TYPING_THROTTLE", 0)
    await alice_socket.send_to(text_data=json.dumps({"typing": True}))
    assert 'data-name="alice"' in await bob_socket.receive_from()
    assert await saved_texts() == []


async def test_typing_right_after_sending_a_message_is_broadcast_at_once(ws, lobby, alice, bob):
    alice_socket = await ws.joined(alice)
    bob_socket = await ws.joined(bob)
    await alice_socket.receive_from()  # bob arrived
    await alice_socket.send_to(text_data=json.dumps({"typing": True}))
    assert 'data-name="alice"' in await bob_socket.receive_from()
    await alice_socket.send_to(text_data=frame("first"))
    assert "first" in await bob_socket.receive_from()
    # Within the throttle window, but the message ended "alice is typing"
    # on bob's page: her next keystroke reaches it at once.
    await alice_socket.send_to(text_data=json.dumps({"typing": True}))
    assert 'data-name="alice"' in await bob_socket.receive_from()
    await alice_socket.send_to(text_data=json.dumps({"typing": True}))
    assert await bob_socket.receive_nothing()


@contextlib.asynccontextmanager
async def database_thread_busy():
    """Another socket's work holds the database thread (one per process)
    until the block ends, passed or failed."""
    release = threading.Event()
    busy = asyncio.create_task(sync_to_async(release.wait)())
    try:
        yield
    finally:
        release.set()
        await busy


async def test_typing_reaches_the_room_while_the_database_is_busy(ws, lobby, alice, bob):
    alice_socket = await ws.joined(alice)
    bob_socket = await ws.joined(bob)
    await alice_socket.receive_from()  # bob arrived
    # A frame that needs no database does not wait for it.
    async with database_thread_busy():
        await alice_socket.send_to(text_data=json.dumps({"typing": True}))
        assert 'data-name="alice"' in await bob_socket.receive_from()


# --- editing and deleting ----------------------------------------------------------------


async def test_editing_replaces_the_message_on_every_page(ws, lobby, alice, bob):
    message = await sync_to_async(Message.objects.post)(lobby, alice, "helo")
    author, reader = await ws.joined(alice), await ws.joined(bob)
    await author.receive_from()  # bob's arrival
    await author.send_to(text_data=json.dumps({"edit": message.pk, "message": "hello <b>all</b>"}))
    for communicator in (author, reader):
        html = await communicator.receive_from()
        assert f'id="message-{message.pk}"' in html and 'hx-swap-oob="outerHTML"' in html
        assert "hello &lt;b&gt;all&lt;/b&gt;" in html and "(edited)" in html and 'data-revision="1"' in html
    assert await saved_texts() == ["hello <b>all</b>"]


@pytest.mark.parametrize(
    ("frame_", "reason"),
    [
        ({"edit": "abc", "message": "x"}, "edit&#x27; must be a message id"),
        ({"edit": True, "message": "x"}, "edit&#x27; must be a message id"),
        ({"edit": 1}, "new text"),
        ({"edit": 999999, "message": "x"}, "no longer exists"),
        ({"delete": 999999}, "no longer exists"),
        ({"delete": [1]}, "delete&#x27; must be a message id"),
    ],
)
async def test_bad_edit_and_delete_frames_get_a_clear_error(ws, lobby, alice, frame_, reason):
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=json.dumps(frame_))
    assert reason in await communicator.receive_from()


async def test_editing_or_deleting_someone_elses_message_is_refused(ws, lobby, alice, bob):
    message = await sync_to_async(Message.objects.post)(lobby, alice, "alice's")
    communicator = await ws.joined(bob)
    await communicator.send_to(text_data=json.dumps({"edit": message.pk, "message": "bob's now"}))
    refused = await communicator.receive_from()
    # Named, so the page does not send the refused edit again after a reconnect.
    assert "only edit your own" in refused and f'data-refused-edit="{message.pk}"' in refused
    await communicator.send_to(text_data=json.dumps({"delete": message.pk}))
    refused = await communicator.receive_from()
    assert "only delete your own" in refused and "data-refused-edit" not in refused
    assert await saved_texts() == ["alice's"]


async def test_a_message_of_another_room_cannot_be_reached(ws, lobby, alice):
    from rooms.models import Room

    other = await Room.objects.acreate(name="Other", slug="other")
    elsewhere = await Message.objects.acreate(room=other, author=alice, text="elsewhere")
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=json.dumps({"delete": elsewhere.pk}))
    assert "no longer exists" in await communicator.receive_from()
    assert await saved_texts() == ["elsewhere"]


async def test_deleting_ones_own_message_removes_it_everywhere(ws, lobby, alice, bob):
    message = await sync_to_async(Message.objects.post)(lobby, alice, "oops")
    author, reader = await ws.joined(alice), await ws.joined(bob)
    await author.receive_from()  # bob's arrival
    await author.send_to(text_data=json.dumps({"delete": message.pk}))
    for communicator in (author, reader):
        assert (await room_frame(communicator)).startswith(f'<div id="message-{message.pk}" hx-swap-oob="delete">')
    assert await saved_texts() == []


async def test_sync_sends_edits_the_page_has_not_seen(ws, lobby, alice):
    unchanged, edited_once, edited_twice = [
        await sync_to_async(Message.objects.post)(lobby, alice, text) for text in ("same", "first", "second")
    ]
    await sync_to_async(edited_once.edit)(alice, "first, edited")
    await sync_to_async(edited_twice.edit)(alice, "second, edited")
    await sync_to_async(edited_twice.edit)(alice, "second, edited again")
    communicator = await ws.joined(alice)
    # The page saw the first edit of the second message, nothing of the first.
    known = [unchanged.pk, edited_once.pk, edited_twice.pk]
    sync = {"after": edited_twice.pk, "known": known, "revised": {str(edited_twice.pk): 1}}
    await communicator.send_to(text_data=json.dumps({"sync": sync}))
    html = await communicator.receive_from()
    assert "first, edited" in html and "second, edited again" in html and "same" not in html
    assert html.count('hx-swap-oob="outerHTML"') == 2
    assert "data-room-list" in await communicator.receive_from()  # then the room list, fresh
    # A page that shows the latest revisions gets nothing back about them.
    sync["revised"] = {str(edited_once.pk): 1, str(edited_twice.pk): 2}
    await communicator.send_to(text_data=json.dumps({"sync": sync}))
    assert await communicator.receive_from() == ""


# --- the room list and unread counts ---------------------------------------------------


async def test_room_list_socket_of_an_anonymous_visitor_is_closed_with_4401(ws, lobby):
    communicator = await ws.listening(AnonymousUser())
    assert (await communicator.receive_output())["code"] == 4401


async def test_room_list_socket_answers_a_sync_with_the_users_rooms_and_counts(ws, lobby, private_room, alice, bob):
    await Message.objects.acreate(room=private_room, author=alice, text="for members")
    await Message.objects.acreate(room=lobby, author=bob, text="for everyone")
    for user, expected in ((alice, ["lobby", "secret"]), (bob, ["lobby"])):
        communicator = await ws.listening(user)
        await communicator.send_to(text_data=json.dumps({"sync": {}}))
        html = await communicator.receive_from()
        assert html.startswith('<div hx-swap-oob="beforeend:#room-activity"><ul data-room-list>')
        assert re.findall(r'href="/rooms/([\w-]+)/"', html) == expected
        assert f'id="room-entry-{lobby.pk}"' in html
        lobby_entry = html[html.index(f'id="room-entry-{lobby.pk}"') :]
        assert f'data-unread="{1 if user == alice else 0}"' in lobby_entry.split("</li>")[0]


async def test_room_list_socket_is_read_only(ws, lobby, alice):
    communicator = await ws.listening(alice)
    await communicator.send_to(text_data="not json")
    assert "not valid JSON" in await communicator.receive_from()
    await communicator.send_to(text_data=frame("hello"))
    assert "cannot send messages" in await communicator.receive_from()
    assert (await communicator.receive_output())["code"] == 4403
    assert await saved_texts() == []


async def test_rooms_created_and_made_private_in_the_admin_reach_lists_by_visibility(
    ws, lobby, alice, bob, django_user_model, settings
):
    # Two changes within one room-list window: this test is about who hears
    # of them, not when, so the second need not wait a whole default window.
    settings.CHAT_LIST_COALESCE_MS = 50
    staff = await django_user_model.objects.acreate_superuser("staff", password="pw-staff-123")
    client = Client()
    await sync_to_async(client.force_login)(staff)
    alice_list, bob_list = await ws.listening(alice), await ws.listening(bob)
    alice_room = await ws.joined(alice)  # the room page's socket gets list changes too

    response = await sync_to_async(client.post)(
        "/admin/rooms/room/add/",
        {"name": "Plans", "slug": "plans", "topic": "", "is_private": "on", "members": [alice.pk]},
    )
    assert response.status_code == 302
    plans = await Room.objects.aget(slug="plans")
    entry = f'<li id="room-entry-{plans.pk}"'
    for socket in (alice_list, alice_room):
        html = await socket.receive_from()
        assert 'hx-swap-oob="beforeend:#room-list"' in html and entry in html and "# Plans" in html
    # Bob never saw the room: he is told nothing about it, not even that its entry is gone.
    assert await bob_list.receive_nothing()

    response = await sync_to_async(client.post)(
        f"/admin/rooms/room/{plans.pk}/change/",
        {"name": "Plans for all", "slug": "plans", "topic": "", "members": [alice.pk]},
    )
    assert response.status_code == 302
    for socket in (alice_list, alice_room, bob_list):
        html = await socket.receive_from()
        assert entry in html and "# Plans for all" in html and "private" not in html


async def test_leaving_and_joining_from_the_directory_follow_in_every_tab_of_that_person_only(ws, lobby, alice, bob):
    client = Client()
    await sync_to_async(client.force_login)(alice)
    tabs, bob_list = [await ws.listening(alice), await ws.joined(alice)], await ws.listening(bob)
    entry = f'id="room-entry-{lobby.pk}"'
    await sync_to_async(client.post)("/rooms/lobby/leave/")
    for tab in tabs:
        assert await tab.receive_from() == f'<div {entry} hx-swap-oob="delete"></div>'
    # A change staff make reaches the lists of those who still have the room, not the leaver's.
    lobby.topic = "Say hello"
    await sync_to_async(lobby.save)()
    html = await bob_list.receive_from()
    assert entry in html and "Say hello" in html and 'hx-swap-oob="beforeend:#room-list"' in html
    for tab in tabs:
        assert await tab.receive_nothing()

    await sync_to_async(client.post)("/rooms/lobby/join/")
    for tab in tabs:
        html = await tab.receive_from()
        assert 'hx-swap-oob="beforeend:#room-list"' in html and entry in html and "# Lobby" in html
    assert await bob_list.receive_nothing()


async def test_reading_moves_the_mark_and_updates_the_users_other_pages(ws, lobby, alice, bob):
    alice_room, alice_list, bob_list = await ws.joined(alice), await ws.listening(alice), await ws.listening(bob)
    bob_room = await ws.joined(bob, "lobby")
    await alice_room.receive_from()  # bob arrived
    await bob_room.send_to(text_data=frame("hello alice"))
    # The open room gets the message; the list page gets an unread signal.
    assert "hello alice" in await alice_room.receive_from()
    message = await Message.objects.aget()
    signal = await alice_list.receive_from()
    assert f'data-message="{message.pk}"' in signal and f'data-author-id="{bob.pk}"' in signal

    await alice_room.send_to(text_data=json.dumps({"read": message.pk}))
    for socket in (alice_room, alice_list):
        html = await socket.receive_from()
        assert f'data-room-id="{lobby.pk}" data-read="{message.pk}" data-unread="0"' in html
    assert (await ReadMark.objects.aget(user=alice, room=lobby)).last_read == message.pk
    # Bob's pages hear nothing of alice's reading; reading again changes nothing.
    await bob_list.receive_from()  # his own message's signal
    await alice_room.send_to(text_data=json.dumps({"read": message.pk}))
    assert await bob_list.receive_nothing() and await alice_list.receive_nothing()


@pytest.mark.parametrize("value", ["²", -1, 0, 1.5, None, True])
async def test_a_bad_read_frame_gets_an_error_and_marks_nothing(ws, lobby, alice, value):
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=json.dumps({"read": value}))
    assert "must be a message id" in await communicator.receive_from()
    assert not await ReadMark.objects.aexists()
    await communicator.send_to(text_data=frame("still fine"))
    assert "still fine" in await room_frame(communicator)


# --- reactions and replies -------------------------------------------------------------


async def test_a_reaction_reaches_every_page_as_the_messages_reactions_block(ws, lobby, alice, bob):
    from rooms.models import Reaction

    message = await sync_to_async(Message.objects.post)(lobby, alice, "lunch?")
    author, reader = await ws.joined(alice), await ws.joined(bob)
    await author.receive_from()  # bob's arrival
    await reader.send_to(text_data=json.dumps({"react": message.pk, "emoji": "🍕"}))
    for communicator in (author, reader):
        html = await room_frame(communicator)
        assert html.startswith(f'<div id="reactions-{message.pk}" class="reactions"')
        assert 'class="reaction-count">1<' in html and f'data-user-ids=" {bob.pk} "' in html
    assert [r.emoji async for r in Reaction.objects.all()] == ["🍕"]
    await reader.send_to(text_data=json.dumps({"react": message.pk, "emoji": "🍕"}))
    assert 'class="reaction"' not in await room_frame(author)  # taken back
    assert not await Reaction.objects.aexists()


@pytest.mark.parametrize(
    ("emoji", "reason"),
    [("lol", "single emoji"), ("👍👍", "single emoji")],
)
async def test_a_reaction_that_is_not_one_emoji_gets_a_clear_error(ws, lobby, alice, emoji, reason):
    from rooms.models import Reaction

    message = await sync_to_async(Message.objects.post)(lobby, alice, "lunch?")
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=json.dumps({"react": message.pk, "emoji": emoji}))
    html = await room_frame(communicator)
    assert 'id="chat-errors"' in html and reason in html
    assert not await Reaction.objects.aexists()


async def test_a_reply_to_a_message_of_another_room_is_refused_and_its_text_handed_back(ws, lobby, alice):
    other = await Room.objects.acreate(name="Other", slug="other")
    elsewhere = await Message.objects.acreate(room=other, author=alice, text="elsewhere")
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=frame("my answer", client_id="c-9", reply_to=elsewhere.pk))
    html = await room_frame(communicator)
    assert "only reply to a message of this room" in html and 'data-unsent="my answer"' in html
    assert await saved_texts() == ["elsewhere"]


async def test_a_reply_arrives_with_its_quote(ws, lobby, alice, bob):
    original = await sync_to_async(Message.objects.post)(lobby, alice, "lunch?")
    communicator = await ws.joined(bob)
    await communicator.send_to(text_data=frame("yes!", client_id="c-1", reply_to=str(original.pk)))
    html = await room_frame(communicator)
    assert f"quote-of-message-{original.pk}" in html and "lunch?" in html and "yes!" in html


async def test_sync_sends_the_reactions_a_page_missed(ws, lobby, alice, bob):
    message = await sync_to_async(Message.objects.post)(lobby, alice, "lunch?")
    communicator = await ws.joined(alice)
    await sync_to_async(message.toggle_reaction)(bob, "👍")
    # The page still shows the message as it was before bob reacted.
    sync = {"after": message.pk, "known": [message.pk], "revised": {}}
    await communicator.send_to(text_data=json.dumps({"sync": sync}))
    html = await communicator.receive_from()
    while f'id="reactions-{message.pk}"' in html and "<article" not in html:  # the live update, first
        html = await communicator.receive_from()
    assert f'id="message-{message.pk}"' in html and 'class="reaction-count">1<' in html
