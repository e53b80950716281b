"""Direct conversations (rooms/models/direct.py): one per set of people,
2-9 people, readable only by them."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from rooms.models import Message, NotAMember, Room, conversation_between, people_named, title_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    return [django_user_model.objects.create_user(f"person{n}") for n in range(9)]


def test_the_same_people_get_the_same_conversation_whoever_starts_it(alice, bob, carol):
    room, created = conversation_between(alice, [bob, carol])
    assert created and room.is_direct and room.is_private
    assert set(room.members.all()) == {alice, bob, carol}
    assert conversation_between(carol, [bob, alice]) == (room, False)
    assert conversation_between(bob, [carol, alice, bob]) == (room, False)
    # Another set of people is another conversation.
    pair, created = conversation_between(alice, [bob])
    assert created and pair != room
    assert conversation_between(bob, [alice]) == (pair, False)


def test_a_conversation_is_one_to_eight_others(alice, people):
    with pytest.raises(ValidationError):
        conversation_between(alice, [])
    with pytest.raises(ValidationError):
        conversation_between(alice, [alice])
    with pytest.raises(ValidationError):
        conversation_between(alice, people)  # nine others
    room, created = conversation_between(alice, people[:8])
    assert created and room.members.count() == 9


def test_people_are_named_by_username_and_must_exist(alice, bob, people):
    assert people_named(["bob", " bob ", "alice"], alice) == [bob]
    with pytest.raises(ValidationError, match="Nobody here is called nobody"):
        people_named(["bob", "nobody"], alice)
    with pytest.raises(ValidationError, match="at most 8"):
        people_named([person.username for person in people], alice)
    with pytest.raises(ValidationError, match="Pick at least one"):
        people_named(["alice", ""], alice)
    bob.is_active = False
    bob.save()
    with pytest.raises(ValidationError):
        people_named(["bob"], alice)


def test_only_participants_read_and_post(alice, bob, carol):
    room, _ = conversation_between(alice, [bob])
    for person in (alice, bob):
        room.check_can_post(person)
    with pytest.raises(NotAMember):
        room.check_can_read(carol)
    assert room not in Room.objects.visible_to(carol)
    assert room in Room.objects.visible_to(bob)


def test_a_conversation_is_reached_by_id_never_by_a_slug(alice, bob, lobby):
    room, _ = conversation_between(alice, [bob])
    assert room.get_absolute_url() == f"/dm/{room.pk}/"
    assert room.url("message", pk=7) == f"/dm/{room.pk}/messages/7/"
    assert room.socket_path == f"/ws/dm/{room.pk}/"
    assert not Room.objects.at(slug=room.slug).exists()
    assert list(Room.objects.at(dm=room.pk)) == [room]
    assert not Room.objects.at(dm=lobby.pk).exists()  # a room is not a conversation either


def test_the_title_is_the_other_peoples_names(alice, bob, carol):
    room, _ = conversation_between(alice, [carol, bob])
    assert title_for(room, alice) == "bob, carol"
    assert title_for(room, bob) == "alice, carol"
    assert str(room) == "Direct messages: alice, bob, carol"


def test_mentions_name_participants_only(alice, bob, carol):
    room, _ = conversation_between(alice, [bob])
    message = Message.objects.post(room, alice, "@bob and @carol")
    assert list(message.mentions.all()) == [bob]


def test_staff_delete_others_messages_in_rooms_not_in_their_conversations(alice, bob, lobby):
    bob.is_staff = True
    bob.save()
    room, _ = conversation_between(alice, [bob])
    message = Message.objects.post(room, alice, "just between us")
    with pytest.raises(Exception, match="only delete your own"):
        message.check_can_delete(bob)
    message.check_can_delete(alice)
    assert Message.objects.post(lobby, alice, "public").can_delete(bob)


@pytest.mark.django_db(transaction=True)
def test_two_people_starting_the_same_conversation_at_once_share_it(alice, bob):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL")
    results, barrier = [], threading.Barrier(2)

    def start(starter, other):
        barrier.wait()
        try:
            results.append(conversation_between(starter, [other])[0].pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=start, args=pair) for pair in [(alice, bob), (bob, alice)]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2 and results[0] == results[1]
    assert Room.objects.filter(kind=Room.DIRECT).count() == 1


def test_the_database_refuses_a_second_conversation_of_the_same_people(alice, bob):
    from django.db import IntegrityError, transaction

    room, _ = conversation_between(alice, [bob])
    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.create(kind=Room.DIRECT, direct_key=room.direct_key, is_private=True, slug="~other")
    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.create(kind=Room.DIRECT, direct_key="1-99", is_private=False, slug="~public")


def test_starting_conversations_counts_against_flood_control(alice, people, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 2
    for person in people[:2]:
        conversation_between(alice, [person])
    with pytest.raises(ValidationError, match="too quickly"):
        conversation_between(alice, [people[2]])
    # Opening one that exists is no new conversation.
    assert conversation_between(alice, [people[0]])[1] is False
