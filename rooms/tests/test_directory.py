"""The room directory (/rooms/): every public room with its topic and
members; anyone leaves one (out of their list, no unread counted, still
mentioned) and joins it again. Private rooms and conversations are never
listed, and a forged join or leave of one answers 404 like an unknown room."""

import re

import pytest
from django.test import Client

from rooms.models import Message, Room

pytestmark = pytest.mark.django_db


@pytest.fixture
def design(db):
    return Room.objects.create(name="Design", slug="design", topic="Pixels and fonts")


def listed_slugs(client):
    return re.findall(r'class="room-link" href="/rooms/([\w-]+)/"', client.get("/").content.decode())


def directory_entry(client, room):
    html = client.get("/rooms/").content.decode()
    match = re.search(rf'<li class="directory-entry" id="directory-room-{room.pk}".*?</li>', html, re.S)
    return match.group(0) if match else None


def test_the_directory_lists_public_rooms_with_topic_and_members_only(
    client, alice, bob, lobby, design, private_room, archived_room, conversation
):
    client.force_login(alice)
    html = client.get("/rooms/").content.decode()
    assert re.findall(r'class="room-name" href="/rooms/([\w-]+)/"', html) == ["design", "lobby"]
    entry = directory_entry(client, design)
    assert "# Design" in entry and "Pixels and fonts" in entry and "2 members" in entry
    assert 'action="/rooms/design/leave/"' in entry and "csrfmiddlewaretoken" in entry
    assert "secret" not in html.lower() and "/dm/" not in html.split("<main")[1]
    assert '<a href="/rooms/">Browse rooms</a>' in client.get("/").content.decode()


def test_leaving_takes_the_room_out_of_the_list_and_its_unread_and_joining_brings_it_back(
    client, alice, bob, lobby, design
):
    client.force_login(alice)
    Message.objects.post(design, bob, "new colours")
    assert client.post("/rooms/design/leave/")["Location"] == "/rooms/"
    assert listed_slugs(client) == ["lobby"]
    assert [room.slug for room in Room.objects.sidebar_for(alice)] == ["lobby"]
    entry = directory_entry(client, design)
    assert "1 member<" in entry and 'action="/rooms/design/join/"' in entry
    # Still readable, with an offer to join again.
    page = client.get("/rooms/design/").content.decode()
    assert "new colours" in page and "You left this room" in page and 'action="/rooms/design/join/"' in page

    client.post("/rooms/design/join/")
    assert listed_slugs(client) == ["design", "lobby"]
    [unread] = [room.unread for room in Room.objects.sidebar_for(alice) if room.slug == "design"]
    assert unread == 1
    assert "2 members" in directory_entry(client, design)


def test_join_and_leave_go_back_to_a_page_of_this_site_only(client, alice, design):
    client.force_login(alice)
    assert client.post("/rooms/design/leave/", {"next": "/rooms/design/"})["Location"] == "/rooms/design/"
    assert client.post("/rooms/design/join/", {"next": "https://elsewhere.example/"})["Location"] == "/rooms/"


@pytest.mark.parametrize("slug", ["secret", "old", "nowhere"])
@pytest.mark.parametrize("action", ["join", "leave"])
def test_a_forged_join_or_leave_of_a_room_outside_the_directory_is_404(
    client, bob, private_room, archived_room, slug, action
):
    client.force_login(bob)
    assert client.post(f"/rooms/{slug}/{action}/").status_code == 404
    assert not Room.left_by.through.objects.exists()


def test_a_conversation_cannot_be_left_through_the_model_either(alice, conversation):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        conversation.leave(alice)


def test_join_and_leave_are_posts_with_a_csrf_token(alice, design):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.get("/rooms/design/leave/").status_code == 405
    assert browser.post("/rooms/design/leave/").status_code == 403
    assert "design" in [room.slug for room in Room.objects.sidebar_for(alice)]
    assert Client().post("/rooms/design/leave/").status_code == 302  # to the login page


def test_a_mention_in_a_room_one_left_still_reaches_them(
    alice, bob, design, settings, run_tasks, django_capture_on_commit_callbacks
):
    from notifications.models import NotificationSettings

    settings.CHAT_EMAIL_DELAY_SECONDS = 0
    alice.email = "alice@example.com"
    alice.save()
    prefs = NotificationSettings.objects.for_user(alice)
    prefs.confirm("alice@example.com")
    design.leave(alice)
    with django_capture_on_commit_callbacks(execute=True):
        message = Message.objects.post(design, bob, "@alice can you look at the logo?")
    assert list(message.mentions.all()) == [alice]
    assert list(prefs.unread_to_email()) == [message]
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(
        task_path="notifications.tasks.email_unread_mentions_and_dms", args_kwargs__args=[alice.pk]
    ).exists()
