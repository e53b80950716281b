"""Installs where staff once gave a bot a direct conversation: migrating
takes the bot, and anyone else added after the start, out of it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("rooms", "0011_room_names_one_line"), ("integrations", "0002_direct_messages")]
AFTER = [("rooms", "0012_conversation_people_fixed"), ("integrations", "0003_bots_in_rooms_only")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def back_to_the_latest():
    """Migrating back unapplies every later migration of every app that
    depends on those (notifications', say): the tests after this one need
    them all again."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_the_latest")
def test_migrating_takes_bots_and_late_additions_out_of_conversations():
    apps = migrate(BEFORE)
    User, Room, Bot = (apps.get_model(*name) for name in [("auth", "User"), ("rooms", "Room"), ("integrations", "Bot")])
    alice, bob, carol, bot_user, helper_user = (
        User.objects.create(username=name) for name in ["alice", "bob", "carol", "snoop", "helper"]
    )
    ops = Room.objects.create(name="Ops", slug="ops")
    secret = Room.objects.create(name="Secret", slug="secret", is_private=True)
    secret.members.add(alice, bot_user)
    pair = Room.objects.create(kind="direct", direct_key=f"{alice.pk}-{bob.pk}", is_private=True, slug="~dm-pair")
    pair.members.add(alice, bob, bot_user, carol)
    with_helper = Room.objects.create(
        kind="direct", direct_key=f"{alice.pk}-{helper_user.pk}", is_private=True, slug="~dm-helper"
    )
    with_helper.members.add(alice, helper_user)
    snoop = Bot.objects.create(user=bot_user, name="snoop", token_hash="a" * 64)
    snoop.rooms.add(ops, secret, pair)
    helper = Bot.objects.create(user=helper_user, name="helper", token_hash="b" * 64)
    helper.rooms.add(ops, with_helper)

    apps = migrate(AFTER)
    Room, Bot = apps.get_model("rooms", "Room"), apps.get_model("integrations", "Bot")

    def people(slug):
        return sorted(Room.objects.get(slug=slug).members.values_list("username", flat=True))

    assert people("~dm-pair") == ["alice", "bob"]
    assert people("~dm-helper") == ["alice", "helper"]  # someone started it with the bot
    assert people("secret") == ["alice", "snoop"]
    assert sorted(Bot.objects.get(name="snoop").rooms.values_list("slug", flat=True)) == ["ops", "secret"]
    assert list(Bot.objects.get(name="helper").rooms.values_list("slug", flat=True)) == ["ops"]
