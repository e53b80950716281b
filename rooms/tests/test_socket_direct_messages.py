"""A direct conversation's socket is a room's (/ws/dm/<id>/ onto
RoomConsumer): live for its participants, closed 4404 for anyone else,
and its list entry and activity reach nobody but them."""

import json

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser

from rooms.models import Message, conversation_between

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_connections")]


async def dm_socket(ws, user, room):
    communicator, connected = await ws.open(f"/ws/dm/{room.pk}/", user)
    assert connected
    return communicator


async def joined(ws, user, room):
    communicator = await dm_socket(ws, user, room)
    assert 'id="presence"' in await communicator.receive_from()
    return communicator


async def next_about(communicator, piece, timeout=2):
    """The next frame holding `piece`, past others (presence, room list)."""
    for _ in range(10):
        if piece in (html := await communicator.receive_from(timeout)):
            return html
    raise AssertionError(f"no frame with {piece!r}")


async def test_participants_chat_live(ws, alice, bob, conversation):
    alice_socket = await joined(ws, alice, conversation)
    bob_socket = await joined(ws, bob, conversation)
    await bob_socket.send_to(text_data=json.dumps({"message": "lunch?"}))
    for communicator in (alice_socket, bob_socket):
        html = await next_about(communicator, "lunch?")
        assert 'class="message-author" data-username="bob">bob<' in html
    assert [m.text async for m in Message.objects.filter(room=conversation)] == ["lunch?"]


async def test_anyone_else_is_closed_with_4404_like_a_private_room(ws, carol, django_user_model, conversation):
    staff = await django_user_model.objects.acreate_superuser("root", password="pw-root-123")
    for user in (carol, staff):
        communicator = await dm_socket(ws, user, conversation)
        assert await communicator.receive_output() == {"type": "websocket.close", "code": 4404}
    communicator = await dm_socket(ws, AnonymousUser(), conversation)
    assert (await communicator.receive_output())["code"] == 4401


async def test_a_conversation_is_not_reached_through_the_rooms_route(ws, alice, conversation):
    # Its slug ("~dm-...") matches no route; even one that did finds no room.
    conversation.slug = "dm-slug"
    await conversation.asave(update_fields=["slug"])
    communicator, _ = await ws.open("/ws/rooms/dm-slug/", alice)
    assert (await communicator.receive_output())["code"] == 4404


async def test_a_new_conversation_and_its_messages_reach_only_its_peoples_room_lists(ws, alice, bob, carol):
    bob_list = await ws.listening(bob)
    carol_list = await ws.listening(carol)
    room, _ = await sync_to_async(conversation_between)(alice, [bob])
    entry = await next_about(bob_list, f'id="room-entry-{room.pk}"')
    assert "beforeend:#dm-list" in entry and 'data-kind="direct"' in entry and ">alice<" in entry
    await sync_to_async(Message.objects.post)(room, alice, "psst")
    activity = await next_about(bob_list, "#room-activity")
    assert f'data-room-id="{room.pk}"' in activity
    assert await carol_list.receive_nothing(timeout=0.5)


async def test_typing_edits_and_deletions_reach_the_other_participant(ws, alice, bob, conversation):
    message = await sync_to_async(Message.objects.post)(conversation, bob, "lunch at 12")
    alice_socket = await joined(ws, alice, conversation)
    bob_socket = await joined(ws, bob, conversation)
    await bob_socket.send_to(text_data=json.dumps({"typing": True}))
    assert 'data-name="bob"' in await next_about(alice_socket, "#typing-signals")
    await bob_socket.send_to(text_data=json.dumps({"edit": message.pk, "message": "lunch at 1"}))
    assert "lunch at 1" in await next_about(alice_socket, f'id="message-{message.pk}"')
    await bob_socket.send_to(text_data=json.dumps({"delete": message.pk}))
    assert 'hx-swap-oob="delete"' in await next_about(alice_socket, f'id="message-{message.pk}" hx-swap-oob')
