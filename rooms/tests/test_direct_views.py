"""Direct conversations on the web: /dm/<id>/ is the room page for its
participants only, /dm/new/ starts one, and the room list shows them."""

import pytest
from django.test import override_settings

from rooms.models import Message, Room, conversation_between

pytestmark = pytest.mark.django_db


def test_the_conversation_page_is_the_room_page_titled_by_the_other_person(client, alice, bob, conversation):
    message = Message.objects.post(conversation, bob, "hi <alice>")
    client.force_login(alice)
    page = client.get(f"/dm/{conversation.pk}/").content.decode()
    for piece in [
        'id="messages"',
        'id="message-form"',
        'name="message"',
        'id="presence"',
        'id="chat-errors"',
        f'id="message-{message.pk}"',
        'class="message-author"',
        'class="message-body"',
        f'hx-ws:connect="/ws/dm/{conversation.pk}/"',
        'placeholder="Message bob"',
        "data-direct",
    ]:
        assert piece in page, piece
    assert "<title>bob · Chat</title>" in page
    assert "hi &lt;alice&gt;" in page


@pytest.mark.parametrize(
    "tail",
    ["", "older/?before=5", "newer/?after=1", "entry/", "messages/{pk}/", "messages/{pk}/source/", "people/?q=a"],
)
def test_everyone_else_gets_404_on_every_page_of_it(client, alice, carol, conversation, tail):
    message = Message.objects.post(conversation, alice, "secret plans")
    client.force_login(carol)
    response = client.get(f"/dm/{conversation.pk}/" + tail.format(pk=message.pk))
    assert response.status_code == 404
    assert b"secret plans" not in response.content and b"alice" not in response.content


def test_staff_are_not_participants_either(client, django_user_model, conversation):
    client.force_login(django_user_model.objects.create_superuser("root", password="pw-root-123"))
    assert client.get(conversation.get_absolute_url()).status_code == 404


def test_a_conversation_is_no_room_and_a_room_no_conversation(client, alice, conversation, lobby):
    client.force_login(alice)
    assert client.get(f"/rooms/{conversation.slug}/").status_code == 404
    assert client.get(f"/dm/{lobby.pk}/").status_code == 404


def test_the_permalink_opens_the_conversation_around_the_message(client, bob, conversation):
    messages = [Message.objects.post(conversation, bob, f"line {n}") for n in range(3)]
    client.force_login(bob)
    page = client.get(f"/dm/{conversation.pk}/messages/{messages[1].pk}/").content.decode()
    assert f'id="message-{messages[1].pk}" class="message message-linked"' in page
    assert f'data-message-url="/dm/{conversation.pk}/messages/0/"' in page


def test_message_someone_opens_the_one_conversation_of_those_people(client, alice, bob, carol, conversation):
    client.force_login(bob)
    response = client.post("/dm/new/", {"with": ["alice"]})
    assert response.status_code == 302 and response["Location"] == f"/dm/{conversation.pk}/"
    response = client.post("/dm/new/", {"with": ["alice", "carol"]})
    group = Room.objects.get(direct_key=f"{alice.pk}-{bob.pk}-{carol.pk}")
    assert response["Location"] == f"/dm/{group.pk}/"
    client.force_login(carol)
    assert client.post("/dm/new/", {"with": ["bob", "alice"]})["Location"] == f"/dm/{group.pk}/"


def test_a_bad_pick_says_why_and_starts_nothing(client, alice, django_user_model):
    for n in range(9):
        django_user_model.objects.create_user(f"person{n}")
    client.force_login(alice)
    for picked, reason in [
        ([], "Pick at least one person"),
        (["nobody"], "Nobody here is called nobody"),
        ([f"person{n}" for n in range(9)], "at most 8 people"),
    ]:
        response = client.post("/dm/new/", {"with": picked})
        assert response.status_code == 400 and reason in response.content.decode()
    assert not Room.objects.filter(kind=Room.DIRECT).exists()
    assert client.get("/dm/new/").status_code == 200


def test_the_picker_finds_people_by_name_and_keeps_those_picked(client, alice, bob, carol):
    client.force_login(alice)
    page = client.get("/dm/new/", {"q": "CAR"}).content.decode()
    assert 'value="carol"' in page and 'value="bob"' not in page and 'value="alice"' not in page
    fragment = client.get("/dm/new/", {"q": "car", "with": ["bob"]}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert 'value="bob" checked' in fragment and 'value="carol">' in fragment


def test_the_room_list_has_conversations_most_recent_first_apart_from_rooms(client, alice, bob, carol, lobby):
    older = conversation_between(alice, [bob])[0]
    newer = conversation_between(alice, [carol])[0]
    Message.objects.post(older, bob, "first")
    Message.objects.post(newer, carol, "second")
    Message.objects.post(older, bob, "third")
    client.force_login(alice)
    page = client.get("/").content.decode()
    rooms, conversations = page.split('id="dm-list"')
    room_list = rooms.split('id="room-list"')[1].split("</ul>")[0]
    assert 'href="/rooms/lobby/"' in room_list and "/dm/" not in room_list
    assert conversations.index(f'href="/dm/{older.pk}/"') < conversations.index(f'href="/dm/{newer.pk}/"')
    # Titled by the other person, with alice's unread count.
    entry = conversations.split(f'id="room-entry-{older.pk}"')[1].split("</li>")[0]
    assert 'data-unread="2"' in entry and f'data-user-id="{bob.pk}">bob<' in entry and ">alice<" not in entry
    client.force_login(carol)
    page = client.get("/").content.decode()
    assert f"/dm/{older.pk}/" not in page and f"/dm/{newer.pk}/" in page


def test_search_finds_the_readers_conversations_and_nobody_elses(client, alice, bob, carol, lobby):
    ours = conversation_between(alice, [bob])[0]
    theirs = conversation_between(bob, [carol])[0]
    mine = Message.objects.create(room=ours, author=bob, text="the deploy key is in the vault")
    Message.objects.create(room=theirs, author=carol, text="the deploy is late")
    client.force_login(alice)
    page = client.get("/search/", {"q": "deploy"}).content.decode()
    assert page.count('class="search-result"') == 1
    assert f'href="/dm/{ours.pk}/messages/{mine.pk}/"' in page
    assert 'class="search-result-room">bob<' in page and "late" not in page


@override_settings(DEBUG=False)
def test_kept_list_entries_follow_a_participant_renamed(client, alice, bob, conversation):
    client.force_login(alice)
    assert f'data-user-id="{bob.pk}">bob<' in client.get("/").content.decode()
    bob.username = "robert"
    bob.save()
    page = client.get("/").content.decode()
    assert ">robert<" in page and ">bob<" not in page


def test_a_reply_in_a_conversation_links_to_the_conversations_message(client, alice, bob, conversation):
    original = Message.objects.post(conversation, bob, "where?")
    Message.objects.post(conversation, alice, "the usual", reply_to=original.pk)
    client.force_login(bob)
    page = client.get(f"/dm/{conversation.pk}/").content.decode()
    assert (
        f'class="reply-quote quote-of-message-{original.pk}" href="/dm/{conversation.pk}/messages/{original.pk}/"'
        in page
    )


def test_a_conversations_message_links_into_the_conversation(client, bob, conversation):
    """Emails and bots' answers link with Message.get_absolute_url."""
    message = Message.objects.post(conversation, bob, "see this")
    assert message.get_absolute_url() == f"/dm/{conversation.pk}/messages/{message.pk}/"
    client.force_login(bob)
    assert client.get(message.get_absolute_url()).status_code == 200
