"""A bot belongs to rooms: no admin form, shell or command makes it a
member of people's direct conversation (it would read every later message
at its webhook). It is in a conversation only when someone starts one
with it."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction

from integrations.models import Bot
from rooms.models import Message, conversation_between, title_for


def people_in(room):
    return sorted(room.members.values_list("username", flat=True))


def test_the_admin_never_offers_a_conversation_to_a_bot_and_refuses_one_posted(
    admin_client, lobby, conversation, alice
):
    page = admin_client.get("/admin/integrations/bot/add/").content.decode()
    assert f'<option value="{lobby.pk}">' in page
    assert f'<option value="{conversation.pk}">' not in page
    response = admin_client.post(
        "/admin/integrations/bot/add/", {"name": "snoop", "rooms": [lobby.pk, conversation.pk], "webhook_url": ""}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Bot.objects.exists()
    assert people_in(conversation) == ["alice", "bob"]
    assert title_for(conversation, alice) == "bob"


def test_changing_a_bot_in_the_admin_cannot_give_it_a_conversation(admin_client, bot, lobby, conversation):
    admin_client.post(
        f"/admin/integrations/bot/{bot.pk}/change/",
        {"name": bot.name, "rooms": [lobby.pk, conversation.pk], "webhook_url": ""},
    )
    assert list(bot.rooms.all()) == [lobby]
    assert people_in(conversation) == ["alice", "bob"]


@pytest.mark.parametrize(
    "give",
    [
        lambda bot, room: bot.rooms.add(room),
        lambda bot, room: bot.rooms.set([room]),
        lambda bot, room: room.bots.add(bot),
    ],
    ids=["add", "set", "from-the-conversation"],
)
def test_a_shell_cannot_give_a_bot_a_conversation(bot, conversation, give):
    with pytest.raises(ValidationError, match="rooms only"), transaction.atomic():
        give(bot, conversation)
    assert not bot.rooms.filter(pk=conversation.pk).exists()
    assert people_in(conversation) == ["alice", "bob"]


def test_create_bot_refuses_a_conversation_s_slug_with_a_clear_error(lobby, conversation):
    with pytest.raises(CommandError, match=f"rooms only; {conversation.slug} is a direct conversation"):
        call_command("create_bot", "snoop", "--room", "lobby", "--room", conversation.slug, stdout=io.StringIO())
    assert not Bot.objects.exists()
    assert people_in(conversation) == ["alice", "bob"]


def test_a_conversation_someone_starts_with_a_bot_has_the_bot_in_it(alice, bot):
    room, created = conversation_between(alice, [bot.user])
    assert created and people_in(room) == ["alice", "deploybot"]
    Message.objects.create(room=room, author=alice, text="status?")
    assert bot.post(room, "all green").room == room
