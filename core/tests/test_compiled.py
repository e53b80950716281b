"""A query compiled once answers as its QuerySet does, for any values."""

import pytest
from django.contrib.auth import get_user_model

from core.compiled import CompiledQuery
from rooms.models import Room

pytestmark = pytest.mark.django_db


def test_a_compiled_query_answers_as_its_queryset_for_every_value(alice, bob):
    board = Room.objects.create(name="Board", slug="board", is_private=True, is_archived=True)
    board.members.add(bob)
    lobby = Room.objects.create(name="Lobby", slug="lobby-2")
    membership = CompiledQuery(
        lambda room, user: (
            Room.objects.filter(pk=room)
            .order_by()
            .values_list("is_private", "is_archived", "name", "members__id")
            .filter(members=user)
        )
    )

    assert membership.rows(board.pk, bob.pk) == [(True, True, "Board", bob.pk)]
    assert membership.rows(board.pk, alice.pk) == []
    assert membership.rows(lobby.pk, bob.pk) == []
    # Values come back converted as the ORM converts them (SQLite's 0/1 are booleans).
    assert all(type(flag) is bool for flag in membership.rows(board.pk, bob.pk)[0][:2])


def test_the_same_parameter_may_appear_several_times(alice, bob):
    users = CompiledQuery(
        lambda user: get_user_model().objects.filter(pk=user).exclude(pk__gt=user).order_by().values_list("username")
    )

    assert users.rows(alice.pk) == [("alice",)]
    assert users.rows(bob.pk) == [("bob",)]


def test_a_parameter_the_query_does_not_use_is_refused(alice):
    ignores_its_parameter = CompiledQuery(lambda user: get_user_model().objects.filter(pk=alice.pk).values_list("pk"))

    with pytest.raises(ValueError, match="not among its SQL's parameters"):
        ignores_its_parameter.rows(alice.pk)
