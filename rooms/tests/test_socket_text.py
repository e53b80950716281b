"""Text no message may hold, through the socket: a post or an edit carrying
it is refused by name, its text handed back to the composer as a frame can
carry it, nothing saved or broadcast, and the socket stays. Run on the
database of DATABASE_URL (SQLite by default, PostgreSQL when set)."""

import json

import pytest
from asgiref.sync import sync_to_async

from rooms.models import Message

from .test_sockets import room_frame

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_connections")]


def sendable(html):
    """The frame as the server sends it: UTF-8 (a lone surrogate has no such form)."""
    return html.encode("utf-8").decode("utf-8")


async def test_a_post_of_unsendable_text_is_refused_and_handed_back(ws, lobby, alice, bob, unsendable):
    text, named = unsendable
    sender, reader = await ws.joined(alice), await ws.joined(bob)
    await sender.receive_from()  # bob's arrival
    await sender.send_to(text_data=json.dumps({"message": text, "client_id": "c-1"}))
    error = sendable(await room_frame(sender))
    assert 'id="chat-errors"' in error and f"cannot contain {named}" in error
    # Handed back whole but for a lone surrogate, which goes back as U+FFFD.
    assert f'data-unsent="{text.replace("\ud800", "\ufffd")}"' in error and 'data-client-id="c-1"' in error
    assert not await Message.objects.aexists()
    assert await reader.receive_nothing()
    await sender.send_to(text_data=json.dumps({"message": "before, after"}))
    assert "before, after" in await room_frame(sender)


async def test_an_edit_to_unsendable_text_is_refused_and_the_message_kept(ws, lobby, alice, unsendable):
    text, named = unsendable
    message = await sync_to_async(Message.objects.post)(lobby, alice, "as typed")
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=json.dumps({"edit": message.pk, "message": text}))
    error = sendable(await room_frame(communicator))
    assert f"cannot contain {named}" in error and f'data-refused-edit="{message.pk}"' in error
    await message.arefresh_from_db()
    assert (message.text, message.revision) == ("as typed", 0)


async def test_a_client_id_no_message_may_hold_is_refused_not_a_crash(ws, lobby, alice):
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=json.dumps({"message": "hello", "client_id": "c-\ud800\x00"}))
    error = sendable(await room_frame(communicator))
    assert "cannot contain U+D800" in error and 'data-unsent="hello"' in error
    assert not await Message.objects.aexists()
