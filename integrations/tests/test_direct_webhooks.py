"""A direct message to a bot calls its webhook like a mention does, with
event "direct_message", and its answer lands in the conversation as the bot."""

import pytest

from integrations import tokens
from integrations.models import Delivery
from rooms.models import Message, Room, conversation_between
from rooms.models.direct import people_matching


@pytest.fixture
def conversation(alice, hooked_bot):
    return conversation_between(alice, [hooked_bot.user])[0]


def send(room, author, text, capture):
    with capture(execute=True):
        return Message.objects.post(room, author, text)


def test_people_can_find_a_bot_and_start_a_conversation_with_it(alice, hooked_bot):
    assert hooked_bot.user in people_matching("deploy", alice)
    room, created = conversation_between(alice, [hooked_bot.user])
    assert created and set(room.members.all()) == {alice, hooked_bot.user}


def test_a_direct_message_to_a_bot_is_delivered_signed_and_answered_in_the_conversation(
    conversation, hooked_bot, token, webhook_server, alice, run_tasks, django_capture_on_commit_callbacks
):
    message = send(conversation, alice, "status of the deploy?", django_capture_on_commit_callbacks)
    assert Delivery.objects.get().event == "direct_message"
    with django_capture_on_commit_callbacks(execute=True):
        run_tasks()
    [(headers, body)] = webhook_server.received
    assert headers["X-Chat-Signature"] == tokens.sign(body, token)
    sent = webhook_server.payloads()[0]
    assert sent["event"] == "direct_message"
    assert sent["room"] == {"kind": "direct", "id": conversation.pk, "participants": ["alice", "deploybot"]}
    assert sent["message"]["text"] == "status of the deploy?" and sent["message"]["author"] == "alice"
    assert sent["message"]["url"].endswith(f"/dm/{conversation.pk}/messages/{message.pk}/")
    reply = Message.objects.exclude(pk=message.pk).get()
    assert (reply.room, reply.author, reply.text) == (conversation, hooked_bot.user, "on it")
    assert Delivery.objects.get().status == "delivered"
    # The answer counts as unread for the person, like any message by someone else.
    assert Room.objects.filter(pk=conversation.pk).with_unread(alice).get().unread == 1


def test_a_mention_of_the_bot_in_its_conversation_calls_it_once(
    conversation, webhook_server, alice, run_tasks, django_capture_on_commit_callbacks
):
    send(conversation, alice, "@deploybot status?", django_capture_on_commit_callbacks)
    run_tasks()
    assert [p["event"] for p in webhook_server.payloads()] == ["direct_message"]


def test_a_bots_own_message_in_a_conversation_calls_nobody(
    conversation, hooked_bot, webhook_server, run_tasks, django_capture_on_commit_callbacks
):
    send(conversation, hooked_bot.user, "good morning", django_capture_on_commit_callbacks)
    run_tasks()
    assert webhook_server.received == [] and not Delivery.objects.exists()


def test_a_conversation_between_people_calls_no_bot(
    hooked_bot, alice, bob, webhook_server, run_tasks, django_capture_on_commit_callbacks
):
    room = conversation_between(alice, [bob])[0]
    send(room, alice, "hi bob", django_capture_on_commit_callbacks)
    run_tasks()
    assert webhook_server.received == [] and not Delivery.objects.exists()


def test_the_api_posts_to_rooms_only_not_to_a_conversation(client, conversation, token):
    response = client.post(
        f"/api/v1/rooms/{conversation.slug}/messages/",
        data='{"text": "hello"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 404
    assert not Message.objects.exists()


def test_staff_see_a_delivery_of_a_direct_message_without_its_text(
    conversation, webhook_server, alice, lobby, admin_client, run_tasks, django_capture_on_commit_callbacks
):
    send(conversation, alice, "my salary is secret", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        run_tasks()
    delivery = Delivery.objects.get()
    page = admin_client.get(f"/admin/integrations/delivery/{delivery.pk}/change/").content.decode()
    assert "deploybot" in page and "delivered" in page
    assert f"a direct message (#{delivery.message_id}, not shown)" in page
    assert f"a direct message (#{delivery.reply_id}, not shown)" in page
    assert "salary" not in page and "deploybot: on it" not in page
