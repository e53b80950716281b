"""Per room, what reaches a person who is not looking: every message, only
mentions, or nothing (muted), chosen from the room's menu and followed by
emails (pushes: push/tests; a background tab: e2e/test_room_menu.py)."""

import pytest
from django.test import Client

from notifications.preferences import ALL, MENTIONS, RoomPreference, notified_by
from rooms.models import Message, Room


def post(room, author, text, capture):
    with capture(execute=True):
        return Message.objects.post(room, author, text)


def test_by_default_a_room_reaches_those_it_mentions_and_a_conversation_everyone(
    alice, bob, carol, lobby, conversation
):
    in_room = Message.objects.post(lobby, bob, "@alice look")
    assert notified_by(in_room, {alice.pk, bob.pk, carol.pk}) == {alice.pk}  # never its author
    direct = Message.objects.post(conversation, bob, "lunch?")
    assert notified_by(direct, {alice.pk}) == {alice.pk}


def test_all_messages_mentions_only_and_muted_decide_who_a_message_reaches(alice, bob, carol, lobby, conversation):
    RoomPreference.objects.choose(carol, lobby, level=ALL)
    plain = Message.objects.post(lobby, bob, "hello room")
    assert notified_by(plain, {alice.pk, carol.pk}) == {carol.pk}
    RoomPreference.objects.choose(alice, lobby, muted=True)
    mention = Message.objects.post(lobby, bob, "@alice @carol look")
    assert notified_by(mention, {alice.pk, carol.pk}) == {carol.pk}  # muted: not even a mention
    RoomPreference.objects.choose(alice, conversation, level=MENTIONS)
    assert notified_by(Message.objects.post(conversation, bob, "lunch?"), {alice.pk}) == set()
    assert notified_by(Message.objects.post(conversation, bob, "@alice lunch?"), {alice.pk}) == {alice.pk}
    # Unmuting brings back the level chosen before.
    RoomPreference.objects.choose(carol, lobby, muted=True)
    RoomPreference.objects.choose(carol, lobby, muted=False)
    assert RoomPreference.objects.state_of(carol, lobby) == (ALL, False)


def test_a_muted_room_sends_no_email_yet_its_messages_still_count_as_unread(
    smtp_inbox, alice_with_email, bob, lobby, conversation, run_tasks, django_capture_on_commit_callbacks
):
    RoomPreference.objects.choose(alice_with_email, lobby, muted=True)
    RoomPreference.objects.choose(alice_with_email, conversation, muted=True)
    post(lobby, bob, "@alice look", django_capture_on_commit_callbacks)
    post(conversation, bob, "lunch?", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    assert smtp_inbox.messages() == []
    counts = {room.pk: (room.unread, room.mentions) for room in Room.objects.sidebar_for(alice_with_email)}
    assert counts[lobby.pk] == (1, 1) and counts[conversation.pk] == (1, 0)


def test_a_room_on_all_messages_emails_its_messages_as_written_there(
    smtp_inbox, alice_with_email, bob, lobby, run_tasks, django_capture_on_commit_callbacks
):
    RoomPreference.objects.choose(alice_with_email, lobby, level=ALL)
    message = post(lobby, bob, "the build is green", django_capture_on_commit_callbacks)
    run_tasks(later=True)
    [email] = smtp_inbox.messages()
    assert email["Subject"] == "bob wrote in Lobby"
    plain = email.get_body(("plain",)).get_content()
    assert "A message you have not read yet, in a room you follow:" in plain
    assert f"https://chat.example.com/rooms/lobby/messages/{message.pk}/" in plain


def test_the_room_menu_shows_the_level_in_force_and_every_page_carries_the_choices(client, alice, lobby, conversation):
    client.force_login(alice)
    page = client.get("/rooms/lobby/").content.decode()
    assert '<span class="room-menu-state">Mentions only</span>' in page
    assert 'id="room-level-mentions" class="room-menu-choice" name="level" value="mentions" aria-pressed="true"' in page
    assert (
        'id="room-mute" class="room-menu-choice" name="muted" value="true" aria-pressed="false">Mute this room' in page
    )
    dm = client.get(f"/dm/{conversation.pk}/").content.decode()
    assert '<span class="room-menu-state">All messages</span>' in dm and "Mute this conversation" in dm
    RoomPreference.objects.choose(alice, lobby, muted=True)
    RoomPreference.objects.choose(alice, conversation, level=MENTIONS)
    for url in ("/", "/rooms/lobby/"):
        page = client.get(url).content.decode()
        assert (
            f'<div id="notify-levels" hidden data-all="" data-mentions="{conversation.pk}" '
            f'data-muted="{lobby.pk}"></div>'
        ) in page


def test_choosing_from_the_menu_saves_it_and_answers_htmx_with_the_menu(client, alice, lobby):
    client.force_login(alice)
    answer = client.post("/rooms/lobby/notifications/", {"muted": "true"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    menu = answer.content.decode()
    assert '<details id="room-menu" class="room-menu" open>' in menu and "🔕" in menu
    assert 'name="muted" value="false" aria-pressed="true"' in menu
    assert RoomPreference.objects.state_of(alice, lobby) == (MENTIONS, True)
    # A plain form (no htmx) comes back to the room.
    answer = client.post("/rooms/lobby/notifications/", {"level": "all"})
    assert answer.status_code == 302 and answer["Location"] == "/rooms/lobby/"
    assert RoomPreference.objects.state_of(alice, lobby) == (ALL, True)


@pytest.mark.parametrize("data", [{}, {"level": "loud"}, {"muted": "maybe"}, {"level": "all", "muted": "true"}])
def test_a_choice_that_is_no_choice_is_refused_with_what_to_send(client, alice, lobby, data):
    client.force_login(alice)
    answer = client.post("/rooms/lobby/notifications/", data)
    assert answer.status_code == 400
    assert answer.content.decode() == "Send level=all or level=mentions, or muted=true or muted=false."
    assert not RoomPreference.objects.exists()


def test_a_room_one_may_not_read_is_not_found_and_the_menu_needs_a_session(client, bob, lobby, private_room):
    client.force_login(bob)
    assert client.post("/rooms/secret/notifications/", {"muted": "true"}).status_code == 404
    assert client.get("/rooms/lobby/notifications/").status_code == 405
    anonymous = Client()
    assert anonymous.post("/rooms/secret/notifications/", {"muted": "true"}).status_code == 302
    assert not RoomPreference.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_db_connections")
async def test_every_open_page_of_the_reader_gets_the_new_choice_at_once(alice, lobby):
    from asgiref.sync import sync_to_async
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator

    from rooms.routing import websocket_urlpatterns

    page = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/rooms/")
    page.scope["user"] = alice
    assert (await page.connect())[0]
    try:
        client = Client()
        await sync_to_async(client.force_login)(alice)
        answer = await sync_to_async(client.post)("/rooms/lobby/notifications/", {"muted": "true"})
        assert answer.status_code == 302
        frame = await page.receive_from(timeout=2)
        assert (
            f'<div id="notify-levels" hidden data-all="" data-mentions="" data-muted="{lobby.pk}" '
            'hx-swap-oob="outerHTML"></div>'
        ) in frame
    finally:
        await page.disconnect()
