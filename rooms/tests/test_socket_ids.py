"""Ids in frames: only ASCII digits or a whole JSON number name a message.
Every look-alike, in every kind of frame that carries an id, gets an error
fragment naming the field, changes nothing, and the socket stays open
(a crash would be a 1011 close and a traceback). A socket's path that
names no conversation is closed 4404, like an unknown room."""

import json

import pytest
from asgiref.sync import sync_to_async

from rooms.models import Message, Reaction, ReadMark

from .test_sockets import room_frame

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_connections")]

# Refused wherever an id goes, zero included where it is no message (the
# whole grammar is core/tests/test_ids.py's; here, that every frame uses it).
LOOK_ALIKES = ["٣", "①", "²", "+1", " 1", "1.0", -1, str(2**63), 2**63, True]
NOT_A_MESSAGE = [*LOOK_ALIKES, "0", 0]

# Frame kind -> (frame with the bad id in it, the refusal it gets, what the
# composer gets back). `{id}` marks where the bad id goes.
FRAMES = {
    "edit": ({"edit": "{id}", "message": "new text"}, "edit", None),
    "delete": ({"delete": "{id}"}, "delete", None),
    "react": ({"react": "{id}", "emoji": "👍"}, "react", None),
    "reply": ({"message": "my answer", "client_id": "c-1", "reply_to": "{id}"}, "reply_to", "my answer"),
    "read": ({"read": "{id}"}, "read", None),
    "sync after": ({"sync": {"after": "{id}"}}, "sync request", None),
    "sync known": ({"sync": {"known": ["{id}"]}}, "sync request", None),
    "sync revised": ({"sync": {"revised": {"1": "{id}"}}}, "sync request", None),
}
# A sync starts "after 0" and a message never edited is revision 0.
ZERO_IS_FINE = {"sync after", "sync known", "sync revised"}
CASES = [
    pytest.param(kind, bad, id=f"{kind}-{bad!r}")
    for kind in FRAMES
    for bad in (LOOK_ALIKES if kind in ZERO_IS_FINE else NOT_A_MESSAGE)
]


@pytest.fixture
def alice(django_user_model):
    # The sockets get her in their scope: no password to hash, a hundred times over.
    return django_user_model.objects.create(username="alice")


def with_id(template, bad):
    return json.loads(json.dumps(template).replace('"{id}"', json.dumps(bad)))


@pytest.mark.parametrize(("kind", "bad"), CASES)
async def test_a_look_alike_id_gets_an_error_and_the_socket_stays(ws, lobby, alice, kind, bad):
    message = await sync_to_async(Message.objects.post)(lobby, alice, "hello")
    communicator = await ws.joined(alice)
    template, field, handed_back = FRAMES[kind]
    await communicator.send_to(text_data=json.dumps(with_id(template, bad)))
    error = await room_frame(communicator)
    assert 'id="chat-errors"' in error and field in error
    if handed_back is not None:
        assert f'data-unsent="{handed_back}"' in error
    # Nothing changed: no reply saved, no edit, no deletion, no reaction, no read mark.
    assert [(m.pk, m.text) async for m in Message.objects.all()] == [(message.pk, "hello")]
    assert not await Reaction.objects.aexists() and not await ReadMark.objects.aexists()
    # Still open and usable.
    await communicator.send_to(text_data=json.dumps({"message": "still here"}))
    assert "still here" in await room_frame(communicator)


async def test_an_id_sent_as_ascii_digits_is_read_like_a_number(ws, lobby, alice):
    message = await sync_to_async(Message.objects.post)(lobby, alice, "hello")
    communicator = await ws.joined(alice)
    await communicator.send_to(text_data=json.dumps({"edit": str(message.pk), "message": "hello again"}))
    assert "hello again" in await room_frame(communicator)
    await communicator.send_to(text_data=json.dumps({"read": str(message.pk)}))
    # Frames are handled in order: once this one is back, the read was handled.
    await communicator.send_to(text_data=json.dumps({"message": "probe"}))
    while "probe" not in await communicator.receive_from():
        pass
    assert (await ReadMark.objects.aget(user=alice, room=lobby)).last_read == message.pk


@pytest.mark.parametrize(
    "path",
    [
        *(f"/ws/dm/{bad}/" for bad in ["٣", "²", "0", "+1", "1.0", str(2**63), "9" * 25, "x"]),
        "/ws/rooms/no such room/",
        "/ws/elsewhere/",
    ],
)
async def test_a_socket_path_that_names_no_room_is_closed_4404(ws, alice, path):
    communicator, connected = await ws.open(path, alice)
    assert connected
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4404}
