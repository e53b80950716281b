"""A conversation's people are fixed when it starts: nobody, staff, a bot or
a shell included, adds anyone to it or takes anyone out afterwards."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from rooms.models import conversation_between, title_for

pytestmark = pytest.mark.django_db


def people_in(room):
    return sorted(room.members.values_list("username", flat=True))


@pytest.mark.parametrize(
    "change",
    [
        lambda room, alice, bob, carol: room.members.add(carol),
        lambda room, alice, bob, carol: room.members.remove(bob),
        lambda room, alice, bob, carol: room.members.set([alice, carol]),
        lambda room, alice, bob, carol: room.members.clear(),
        lambda room, alice, bob, carol: carol.private_rooms.add(room),
        lambda room, alice, bob, carol: bob.private_rooms.remove(room),
        lambda room, alice, bob, carol: bob.private_rooms.clear(),
    ],
    ids=["add", "remove", "set", "clear", "join-from-the-user", "leave-from-the-user", "clear-from-the-user"],
)
def test_nobody_joins_or_leaves_a_conversation_once_it_started(conversation, alice, bob, carol, change):
    # Refused inside the change's own transaction (atomic here: the test's
    # transaction goes on afterwards).
    with pytest.raises(ValidationError, match="people of a conversation"), transaction.atomic():
        change(conversation, alice, bob, carol)
    assert people_in(conversation) == ["alice", "bob"]
    assert title_for(conversation, alice) == "bob"
    assert conversation_between(carol, [alice, bob])[0] != conversation


def test_starting_a_conversation_still_sets_its_people_once(alice, bob, carol):
    room, created = conversation_between(carol, [alice, bob])
    assert created and people_in(room) == ["alice", "bob", "carol"]
    assert conversation_between(bob, [alice, carol]) == (room, False)


def test_a_room_s_members_still_change_freely(private_room, bob):
    private_room.members.add(bob)
    private_room.members.remove(bob)
    bob.private_rooms.add(private_room)
    assert private_room.members.filter(pk=bob.pk).exists()
