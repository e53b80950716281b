"""The composer's "@" suggestions (/rooms/<slug>/people/, /dm/<id>/people/):
people who can read the room, found by the start of their name, never a
word about a room the asker may not read."""

import pytest

from rooms.models import Room, conversation_between

pytestmark = pytest.mark.django_db


def offered(client, room, q):
    response = client.get(room.url("people"), {"q": q})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()["people"]


@pytest.fixture
def people(django_user_model):
    made = {}
    for username, first, last in [
        ("alan", "Alan", "Turing"),
        ("albert", "", ""),
        ("ada", "Ada", "Lovelace"),
        ("grace", "Grace", "Hopper"),
        ("gone", "Alice", "Gone"),
    ]:
        made[username] = django_user_model.objects.create_user(username, first_name=first, last_name=last)
    made["gone"].is_active = False
    made["gone"].save()
    return made


def test_a_public_room_offers_everyone_whose_name_starts_so_but_the_asker(client, alice, lobby, people):
    client.force_login(alice)
    assert offered(client, lobby, "al") == [
        {"username": "alan", "name": "Alan Turing"},
        {"username": "albert", "name": "albert"},
    ]
    # By first or last name too, in any case; an inactive account never.
    assert [person["username"] for person in offered(client, lobby, "LOVE")] == ["ada"]
    assert [person["username"] for person in offered(client, lobby, "hop")] == ["grace"]
    assert offered(client, lobby, "alice") == []


def test_a_private_room_offers_its_members_only(client, alice, bob, private_room, people):
    private_room.members.add(people["alan"])
    client.force_login(alice)
    assert [person["username"] for person in offered(client, private_room, "")] == ["alan"]
    assert offered(client, private_room, "b") == []  # bob is not a member


def test_a_conversation_offers_its_participants(client, alice, bob, people):
    room, _ = conversation_between(alice, [bob, people["grace"]])
    client.force_login(alice)
    assert [person["username"] for person in offered(client, room, "")] == ["bob", "grace"]
    assert offered(client, room, "al") == []


def test_the_answer_is_bounded(client, alice, lobby, django_user_model):
    for n in range(20):
        django_user_model.objects.create_user(f"sam{n:02}")
    client.force_login(alice)
    assert [person["username"] for person in offered(client, lobby, "sam")] == [f"sam{n:02}" for n in range(8)]
    assert offered(client, lobby, "s" * 151) == []


def test_whoever_may_not_read_the_room_learns_nothing(client, bob, private_room, lobby):
    client.force_login(bob)
    response = client.get("/rooms/secret/people/", {"q": "al"})
    assert response.status_code == 404 and b"alice" not in response.content
    assert client.get("/rooms/nowhere/people/").status_code == 404
    client.logout()
    response = client.get("/rooms/lobby/people/", {"q": "al"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_archived_room_still_offers_its_readers(client, alice, bob, archived_room):
    client.force_login(alice)
    assert [person["username"] for person in offered(client, archived_room, "b")] == ["bob"]


def test_a_member_removed_is_no_longer_offered_nor_answered(client, alice, bob, private_room):
    private_room.members.add(bob)
    client.force_login(alice)
    assert [person["username"] for person in offered(client, private_room, "b")] == ["bob"]
    private_room.members.remove(bob)
    assert offered(client, private_room, "b") == []
    client.force_login(bob)
    assert client.get(Room.objects.get(pk=private_room.pk).url("people")).status_code == 404
