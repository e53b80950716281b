"""Who gets a push, and when: a mention or direct message, to someone with
no chat page on screen (any tab, any device, any process), by their level
in the room; one task per message however it addresses people."""

import pytest
from asgiref.sync import async_to_sync
from django_tasks_db.models import DBTaskResult

from notifications.preferences import ALL, MENTIONS, RoomPreference
from push.tasks import people_to_push
from realtime import visibility
from rooms.models import Message, conversation_between

pytestmark = pytest.mark.django_db


def post(room, author, text, capture):
    with capture(execute=True):
        return Message.objects.post(room, author, text)


def queued_pushes():
    """The push_message tasks queued: (message id, people) each."""
    return [
        tuple(result.args_kwargs["args"]) for result in DBTaskResult.objects.filter(task_path="push.tasks.push_message")
    ]


def on_screen(user, socket="tab"):
    async_to_sync(visibility.record().show)(user.pk, socket)


def test_a_mention_is_queued_once_for_those_it_names_who_have_a_device(
    alice, bob, carol, lobby, device, django_capture_on_commit_callbacks
):
    device(alice)
    message = post(lobby, bob, "@alice @carol look", django_capture_on_commit_callbacks)
    # Carol has no device: her people are not worth a task; alice's are.
    assert queued_pushes() == [(message.pk, [alice.pk, carol.pk])]
    post(lobby, bob, "nobody named", django_capture_on_commit_callbacks)
    post(lobby, alice, "@alice note to self", django_capture_on_commit_callbacks)
    assert len(queued_pushes()) == 1


def test_a_mention_seen_as_it_arrives_is_not_pushed_even_if_its_reader_looks_away_at_once(
    alice, bob, lobby, device, django_capture_on_commit_callbacks
):
    device(alice)
    on_screen(alice, "alice-tab")
    post(lobby, bob, "@alice while you look", django_capture_on_commit_callbacks)
    async_to_sync(visibility.record().hide)(alice.pk, "alice-tab")  # before the worker runs
    assert queued_pushes() == []
    message = post(lobby, bob, "@alice while you are away", django_capture_on_commit_callbacks)
    assert queued_pushes() == [(message.pk, [alice.pk])]


def test_a_direct_message_that_also_mentions_is_one_task(alice, bob, device, django_capture_on_commit_callbacks):
    device(alice)
    conversation = conversation_between(bob, [alice])[0]
    message = post(conversation, bob, "@alice lunch?", django_capture_on_commit_callbacks)
    assert queued_pushes() == [(message.pk, [alice.pk])]


def test_nothing_is_queued_while_push_is_off(alice, bob, lobby, device, settings, django_capture_on_commit_callbacks):
    device(alice)
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = ""
    post(lobby, bob, "@alice look", django_capture_on_commit_callbacks)
    assert queued_pushes() == []


def test_a_person_with_any_page_on_screen_gets_no_push_and_one_hidden_tab_is_not_enough(
    alice, bob, carol, lobby, push_on
):
    message = Message.objects.post(lobby, bob, "@alice @carol look")
    assert people_to_push(message, [alice.pk, carol.pk]) == {alice.pk, carol.pk}
    on_screen(alice, "alice-laptop-tab-2")
    assert people_to_push(message, [alice.pk, carol.pk]) == {carol.pk}
    async_to_sync(visibility.record().hide)(alice.pk, "alice-laptop-tab-2")
    assert people_to_push(message, [alice.pk, carol.pk]) == {alice.pk, carol.pk}


@pytest.mark.redis
def test_a_page_on_screen_in_another_process_counts(use_redis, alice, bob, lobby, push_on):
    message = Message.objects.post(lobby, bob, "@alice look")
    # A server process records it (asyncio); the worker, another process, reads it.
    async_to_sync(visibility.RedisVisibility(use_redis).show)(alice.pk, "tab-in-process-two")
    assert people_to_push(message, [alice.pk]) == set()


def test_levels_decide_muted_mentions_only_and_all_messages(alice, bob, carol, lobby, push_on):
    conversation = conversation_between(bob, [alice, carol])[0]
    RoomPreference.objects.choose(alice, lobby, muted=True)
    assert people_to_push(Message.objects.post(lobby, bob, "@alice look"), [alice.pk]) == set()
    RoomPreference.objects.choose(carol, lobby, level=ALL)
    assert people_to_push(Message.objects.post(lobby, bob, "plain news"), [alice.pk, carol.pk]) == {carol.pk}
    RoomPreference.objects.choose(carol, conversation, level=MENTIONS)
    assert people_to_push(Message.objects.post(conversation, bob, "lunch?"), [alice.pk, carol.pk]) == {alice.pk}


def test_a_room_on_all_messages_queues_its_plain_messages(
    alice, bob, lobby, device, django_capture_on_commit_callbacks
):
    device(alice)
    RoomPreference.objects.choose(alice, lobby, level=ALL)
    message = post(lobby, bob, "plain news", django_capture_on_commit_callbacks)
    assert queued_pushes() == [(message.pk, [alice.pk])]
    RoomPreference.objects.choose(alice, lobby, muted=True)
    post(lobby, bob, "more news", django_capture_on_commit_callbacks)
    assert len(queued_pushes()) == 1


def test_nobody_is_pushed_what_they_may_no_longer_read_nor_is_an_inactive_account(
    alice, bob, carol, private_room, push_on
):
    private_room.members.add(bob, carol)
    message = Message.objects.post(private_room, bob, "@alice @carol secret")
    private_room.members.remove(alice)
    carol.is_active = False
    carol.save()
    assert people_to_push(message, [alice.pk, carol.pk]) == set()
