import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Profile
from rooms.models import Message, Room

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("staff", password="pw-staff-123"))
    return client


def test_staff_create_a_room_with_members(staff_client, alice):
    response = staff_client.post(
        "/admin/rooms/room/add/",
        {"name": "Design", "slug": "design", "topic": "Pixels", "is_private": "on", "members": [alice.pk]},
    )
    assert response.status_code == 302
    room = Room.objects.get(slug="design")
    assert room.is_private and list(room.members.all()) == [alice]


def test_add_form_prepopulates_the_slug(staff_client):
    page = staff_client.get("/admin/rooms/room/add/").content.decode()
    assert 'data-prepopulated-fields="[{&quot;id&quot;: &quot;#id_slug&quot;' in page
    assert "&quot;dependency_ids&quot;: [&quot;#id_name&quot;]" in page


def test_archive_action(staff_client, lobby):
    response = staff_client.post(
        "/admin/rooms/room/", {"action": "archive", "_selected_action": [lobby.pk]}, follow=True
    )
    assert b"1 room archived" in response.content
    lobby.refresh_from_db()
    assert lobby.is_archived


def test_room_search_and_filters(staff_client, lobby):
    Room.objects.create(name="Design", slug="design", is_private=True)
    page = staff_client.get("/admin/rooms/room/?q=desi").content.decode()
    assert "/admin/rooms/room/" in page and "Design" in page and ">Lobby<" not in page
    page = staff_client.get("/admin/rooms/room/?is_private__exact=0").content.decode()
    assert ">Lobby<" in page and ">Design<" not in page


def test_messages_listed_searchable(staff_client, lobby, alice):
    Message.objects.post(lobby, alice, "find me please")
    Message.objects.post(lobby, alice, "other words")
    page = staff_client.get("/admin/rooms/message/?q=find").content.decode()
    assert "find me please" in page and "other words" not in page


def test_message_list_pages_newest_first_without_counting(staff_client, lobby, alice, bob, monkeypatch):
    from rooms.admin import MessageAdmin

    monkeypatch.setattr(MessageAdmin, "list_per_page", 2)
    for text in ("first", "second", "third"):
        Message.objects.post(lobby, alice, text)
    with CaptureQueriesContext(connection) as queries:
        page = staff_client.get("/admin/rooms/message/").content.decode()
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert page.index(">third<") < page.index(">second<") and ">first<" not in page
    assert 'rel="next"' in page and 'rel="prev"' not in page and "3 messages" not in page
    assert "0 of 2 selected" in page
    older = staff_client.get("/admin/rooms/message/?p=2").content.decode()
    assert ">first<" in older and 'rel="prev"' in older and 'rel="next"' not in older


def test_a_message_page_costs_the_same_queries_for_many_authors_as_for_one(
    staff_client, lobby, alice, django_user_model
):
    """The author column shows display names: a page of messages from many
    people asks no more than a page from one."""
    Message.objects.post(lobby, alice, "alone")
    with CaptureQueriesContext(connection) as one:
        assert staff_client.get("/admin/rooms/message/").status_code == 200
    for n in range(30):
        author = django_user_model.objects.create_user(f"writer{n}", password=None)
        Profile.objects.create(user=author, display_name=f"Writer Number {n}")
        Message.objects.post(lobby, author, f"message {n}")
    with CaptureQueriesContext(connection) as many:
        page = staff_client.get("/admin/rooms/message/").content.decode()
    assert "Writer Number 29" in page and "Writer Number 0" in page
    assert len(many) == len(one)


def test_message_search_by_author(staff_client, lobby, alice, bob):
    Message.objects.post(lobby, alice, "from alice")
    Message.objects.post(lobby, bob, "from bob, naming alice")
    page = staff_client.get("/admin/rooms/message/?q=%40alice").content.decode()
    assert "from alice" in page and "from bob" not in page
    page = staff_client.get("/admin/rooms/message/?q=NAMING").content.decode()
    assert "from bob, naming alice" in page and ">from alice<" not in page


def test_message_list_filters_by_room(staff_client, lobby, alice):
    other = Room.objects.create(name="Other", slug="other")
    Message.objects.post(lobby, alice, "in the lobby")
    Message.objects.post(other, alice, "in the other room")
    page = staff_client.get(f"/admin/rooms/message/?room__id__exact={other.pk}").content.decode()
    assert "in the other room" in page and "in the lobby" not in page


def test_non_staff_cannot_reach_the_admin(client, alice):
    client.force_login(alice)
    assert client.get("/admin/rooms/room/").status_code == 302


def test_a_room_name_or_topic_with_line_breaks_or_control_characters_is_refused(staff_client):
    one_line = "Use one line of text: line breaks, tabs and other control characters are not allowed."
    for name, topic, error in [
        ("Ops\r\nBcc: victim@example.com", "fine", one_line),
        ("Ops", "line one\nline two", one_line),
        ("Ops\x1b[31m", "", one_line),
        ("Ops\u2028team", "", one_line),
        ("Ops\tteam", "", one_line),
        ("Ops\x00", "", "Null characters are not allowed."),  # Django's own form check comes first
    ]:
        page = staff_client.post("/admin/rooms/room/add/", {"name": name, "slug": "ops", "topic": topic})
        assert page.status_code == 200, (name, topic)  # the form again, with the error
        assert error in page.content.decode()
    assert not Room.objects.filter(slug="ops").exists()
    ok = staff_client.post("/admin/rooms/room/add/", {"name": "Ops — on call 🚨", "slug": "ops", "topic": "Pagers"})
    assert ok.status_code == 302 and Room.objects.get(slug="ops").name == "Ops — on call 🚨"


def test_names_and_topics_stored_before_are_flattened_by_the_migration(lobby):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("rooms.migrations.0011_room_names_one_line")
    broken = Room.objects.create(name="Ops\r\n\tteam\x0b", slug="ops", topic="line one\nline two\u2028three")
    empty = Room.objects.create(name="\r\n", slug="nameless")
    migration.flatten_names(apps, None)
    broken.refresh_from_db()
    empty.refresh_from_db()
    lobby.refresh_from_db()
    assert (broken.name, broken.topic) == ("Ops team", "line one line two three")
    assert empty.name == "nameless"
    assert (lobby.name, lobby.topic) == ("Lobby", "Say hello: everyone can read this room.")


def test_staff_cannot_post_a_message_into_a_conversation_nor_move_one_there(staff_client, lobby, alice, bob):
    from rooms.models import Message, conversation_between

    conversation = conversation_between(alice, [bob])[0]
    form = staff_client.get("/admin/rooms/message/add/").content.decode()
    assert ">Lobby</option>" in form and "Direct messages" not in form
    refused = staff_client.post(
        "/admin/rooms/message/add/", {"room": conversation.pk, "author": alice.pk, "text": "written by staff"}
    )
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    message = Message.objects.post(lobby, alice, "in the lobby")
    moved = staff_client.post(
        f"/admin/rooms/message/{message.pk}/change/",
        {"room": conversation.pk, "author": alice.pk, "text": "in the lobby"},
    )
    assert moved.status_code == 200 and "Select a valid choice" in moved.content.decode()
    assert not Message.objects.filter(room=conversation).exists()
