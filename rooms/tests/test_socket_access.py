"""An open socket never outlives what allowed it, and no user gets more
than their share (docs/security.md): sign-out, deactivation and deletion
close sockets; rights are read again for every change; sockets per user,
frames per kind and catch-up are bounded."""

import json
import re

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from project.asgi import application
from rooms.models import Message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_connections")]


def frame(text, **extra):
    return json.dumps({"message": text, **extra})


async def signed_in_client(user):
    client = Client()
    await sync_to_async(client.force_login)(user)
    return client


async def through_the_stack(ws, client, slug="lobby"):
    """A room socket opened as a browser does: session cookie and Origin."""
    cookie = client.cookies["sessionid"].value
    communicator, connected = await ws.open(
        f"/ws/rooms/{slug}/",
        app=application,
        headers=[
            (b"origin", b"http://127.0.0.1:8000"),
            (b"host", b"127.0.0.1:8000"),
            (b"cookie", f"sessionid={cookie}".encode()),
        ],
    )
    assert connected
    assert 'id="presence"' in await communicator.receive_from()
    return communicator


async def past_room_lists(communicator):
    """The next frame about the room itself, past room-list signals."""
    while "#room-activity" in (html := await communicator.receive_from()):
        pass
    return html


async def sync_answered(communicator):
    """Whether a sync was answered: its catch-up frame(s), then the room list."""
    while "data-room-list" not in (html := await communicator.receive_from()):
        if "too often" in html:
            return False
    return True


async def closed_with(communicator, code):
    while (output := await communicator.receive_output(timeout=2))["type"] == "websocket.send":
        pass
    return output == {"type": "websocket.close", "code": code}


# --- sign-out, deactivation, deletion ---------------------------------------------------


async def test_logging_out_closes_that_sessions_sockets_only(ws, lobby, alice):
    laptop, phone = await signed_in_client(alice), await signed_in_client(alice)
    on_laptop = await through_the_stack(ws, laptop)
    on_phone = await through_the_stack(ws, phone)
    await sync_to_async(laptop.post)("/accounts/logout/")
    assert "signed out" in await on_laptop.receive_from()
    assert await closed_with(on_laptop, 4401)
    await on_phone.send_to(text_data=frame("still here on the phone"))
    assert "still here on the phone" in await on_phone.receive_from()


async def test_changing_the_password_closes_the_other_sessions_sockets_only(ws, lobby, alice):
    laptop, phone = await signed_in_client(alice), await signed_in_client(alice)
    on_laptop = await through_the_stack(ws, laptop)
    on_phone = await through_the_stack(ws, phone)
    changed = await sync_to_async(laptop.post)(
        "/accounts/password/change/",
        {"old_password": "pw-alice-123", "new_password1": "a-fresh-pass-4321", "new_password2": "a-fresh-pass-4321"},
    )
    assert changed.status_code == 302
    assert "signed out" in await on_phone.receive_from()
    assert await closed_with(on_phone, 4401)
    await on_laptop.send_to(text_data=frame("still here on the laptop"))
    assert "still here on the laptop" in await past_room_lists(on_laptop)


async def test_deactivating_a_user_closes_all_their_sockets(ws, lobby, alice, bob):
    tabs = [await ws.joined(alice), await ws.joined(alice)]
    bobs = await ws.joined(bob)
    alice.is_active = False
    await alice.asave()
    for tab in tabs:
        assert await closed_with(tab, 4401)
    await bobs.send_to(text_data=frame("bob is fine"))
    assert "bob is fine" in await bobs.receive_from()


async def test_deleting_a_user_closes_their_sockets_and_keeps_their_messages(ws, lobby, alice, bob):
    said = await sync_to_async(Message.objects.post)(lobby, alice, "remember me")
    tab = await ws.joined(alice)
    await alice.adelete()
    assert await closed_with(tab, 4401)
    message = await Message.objects.select_related("author").aget(pk=said.pk)
    assert message.text == "remember me" and message.author is None and message.author_name == "deleted user"
    reader = await ws.joined(bob)
    await reader.send_to(text_data=json.dumps({"sync": {"after": 0, "known": []}}))
    html = await reader.receive_from()
    assert "remember me" in html and "deleted user" in html


async def test_a_deactivated_users_frames_are_refused_before_the_close_arrives(ws, lobby, alice):
    tab = await ws.joined(alice)
    # Deactivated behind the consumer's back (no signal: a raw UPDATE).
    await alice.__class__.objects.filter(pk=alice.pk).aupdate(is_active=False)
    await tab.send_to(text_data=frame("after deactivation"))
    assert "signed out" in await tab.receive_from()
    assert await closed_with(tab, 4401)
    assert not await Message.objects.aexists()


async def test_staff_rights_lost_take_effect_on_the_next_frame(ws, lobby, alice, django_user_model):
    moderator = await django_user_model.objects.acreate_user("mod", password="pw-mod-123", is_staff=True)
    first = await sync_to_async(Message.objects.post)(lobby, alice, "spam one")
    second = await sync_to_async(Message.objects.post)(lobby, alice, "spam two")
    tab = await ws.joined(moderator)
    await tab.send_to(text_data=json.dumps({"delete": first.pk}))
    assert f'id="message-{first.pk}" hx-swap-oob="delete"' in await past_room_lists(tab)
    await django_user_model.objects.filter(pk=moderator.pk).aupdate(is_staff=False)
    await tab.send_to(text_data=json.dumps({"delete": second.pk}))
    assert "only delete your own" in await past_room_lists(tab)
    assert await Message.objects.filter(pk=second.pk).aexists()


# --- sockets per user, frame budgets -------------------------------------------------------


async def test_a_user_may_hold_only_so_many_sockets(ws, lobby, alice, bob, settings):
    settings.CHAT_MAX_SOCKETS_PER_USER = 2
    first, _ = await ws.joined(alice), await ws.joined(alice)
    third = await ws.connect(alice)
    assert "too many chat tabs" in await third.receive_from()
    assert await closed_with(third, 4429)
    assert await ws.listening(bob)  # others are not affected
    await first.disconnect()
    assert await ws.joined(alice)  # a closed tab frees its place


@pytest.mark.redis
async def test_the_socket_cap_is_shared_through_redis(ws, use_redis, lobby, alice, settings):
    settings.CHAT_MAX_SOCKETS_PER_USER = 1
    await ws.joined(alice)
    second = await ws.connect(alice)
    assert "too many chat tabs" in await second.receive_from()
    assert await closed_with(second, 4429)


async def test_each_kind_of_frame_has_a_budget(ws, lobby, alice, bob, settings):
    settings.CHAT_FRAME_BUDGETS = {"sync": 2}
    tab = await ws.joined(alice)
    for _ in range(2):
        await tab.send_to(text_data=json.dumps({"sync": {"after": 0}}))
        assert await sync_answered(tab)
    await tab.send_to(text_data=json.dumps({"sync": {"after": 0}}))
    assert not await sync_answered(tab)
    # Shared by the user's sockets; other kinds and other users have their own.
    other_tab = await ws.joined(alice)
    await other_tab.send_to(text_data=json.dumps({"sync": {"after": 0}}))
    assert not await sync_answered(other_tab)
    bobs = await ws.listening(bob)
    await bobs.send_to(text_data=json.dumps({"sync": {}}))
    assert await sync_answered(bobs)
    await tab.send_to(text_data=frame("posting still works"))
    assert "posting still works" in await tab.receive_from()


# --- bounded catch-up ----------------------------------------------------------------------


async def test_catch_up_is_streamed_in_batches_up_to_its_bound(ws, lobby, alice, settings):
    settings.CHAT_CATCH_UP_BATCH = 2
    settings.CHAT_SYNC_MAX_MESSAGES = 5
    pks = [(await Message.objects.acreate(room=lobby, author=alice, text=f"m{n}")).pk for n in range(5)]
    tab = await ws.joined(alice)
    await tab.send_to(text_data=json.dumps({"sync": {"after": 0, "known": []}}))
    frames = [await tab.receive_from() for _ in range(3)]
    assert [int(pk) for html in frames for pk in re.findall(r'id="message-(\d+)"', html)] == pks
    assert "data-room-list" in await tab.receive_from()
    assert await tab.receive_nothing()


async def test_a_page_too_far_behind_is_told_to_reload(ws, lobby, alice, settings):
    settings.CHAT_SYNC_MAX_MESSAGES = 5
    for n in range(6):
        await Message.objects.acreate(room=lobby, author=alice, text=f"m{n}")
    tab = await ws.joined(alice)
    await tab.send_to(text_data=json.dumps({"sync": {"after": 0, "known": []}}))
    html = await tab.receive_from()
    assert "data-reload" in html and 'href="/rooms/lobby/"' in html and "message-" not in html
    assert "data-room-list" in await tab.receive_from()
    # The page has been told: the socket stays, nothing was built beyond the bound.
    await tab.send_to(text_data=frame("and now?"))
    assert "and now?" in await tab.receive_from()


async def test_a_budget_that_cannot_be_counted_lets_the_frame_through(ws, lobby, alice, monkeypatch):
    def cache_away(*args, **kwargs):
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr("core.limits.allow", cache_away)
    tab = await ws.joined(alice)
    await tab.send_to(text_data=json.dumps({"typing": True}))
    await tab.send_to(text_data=json.dumps({"sync": {"after": 0}}))
    assert await sync_answered(tab)  # answered, not a crashed socket
