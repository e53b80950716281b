"""Staff make bots with `manage.py create_bot` or in the admin; the token is shown once."""

import io

import pytest
from django.core.management import CommandError, call_command

from integrations.models import BadToken, Bot


def create_bot(*args):
    out = io.StringIO()
    call_command("create_bot", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_create_bot_prints_a_working_token_as_its_last_line(client, lobby):
    from rooms.models import Room

    Room.objects.create(name="Ops", slug="ops")
    lines = create_bot("ci", "--room", "lobby", "--room", "ops")
    bot = Bot.objects.get(name="ci")
    assert sorted(bot.rooms.values_list("slug", flat=True)) == ["lobby", "ops"]
    assert Bot.objects.authenticate(f"Bearer {lines[-1]}") == bot
    assert not bot.user.has_usable_password()


def test_create_bot_refuses_an_unknown_room_a_taken_name_and_an_internal_webhook(lobby, alice):
    with pytest.raises(CommandError, match="No such room: nowhere"):
        create_bot("ci", "--room", "nowhere")
    with pytest.raises(CommandError, match="taken"):
        create_bot("Alice", "--room", "lobby")
    with pytest.raises(CommandError, match="a loopback address"):
        create_bot("hook", "--room", "lobby", "--webhook-url", "http://127.0.0.1:9/hook")
    assert not Bot.objects.exists()


def test_staff_create_a_bot_in_the_admin_and_see_its_token_once(admin_client, lobby, private_room):
    response = admin_client.post(
        "/admin/integrations/bot/add/",
        {"name": "deploybot", "rooms": [lobby.pk, private_room.pk], "webhook_url": ""},
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 2 and "shown only this once" in shown[0]
    token = shown[0].rsplit(" ", 1)[-1]
    bot = Bot.objects.get(name="deploybot")
    assert Bot.objects.authenticate(f"Bearer {token}") == bot
    assert set(bot.rooms.all()) == {lobby, private_room}
    assert private_room.members.filter(pk=bot.user_id).exists()
    assert token not in admin_client.get(f"/admin/integrations/bot/{bot.pk}/change/").content.decode()


def test_revoking_in_the_admin_stops_the_token(admin_client, bot, token):
    admin_client.post("/admin/integrations/bot/", {"action": "revoke_tokens", "_selected_action": [bot.pk]})
    with pytest.raises(BadToken):
        Bot.objects.authenticate(f"Bearer {token}")
