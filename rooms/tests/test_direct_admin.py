"""Staff see that direct conversations exist (who, how many messages, when)
for moderation and data requests, and never what was said."""

import pytest

from rooms.models import Message, conversation_between

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("staff", password="pw-staff-123"))
    return client


@pytest.fixture
def conversation(alice, bob):
    room = conversation_between(alice, [bob])[0]
    for text in ("our secret", "still secret"):
        Message.objects.create(room=room, author=alice, text=text)
    return room


def test_staff_list_conversations_with_participants_counts_and_dates(staff_client, conversation):
    page = staff_client.get("/admin/rooms/conversation/").content.decode()
    assert "Direct messages: alice, bob" in page
    assert '<td class="field-message_count">2</td>' in page
    assert "field-last_message_at" in page and "secret" not in page
    detail = staff_client.get(f"/admin/rooms/conversation/{conversation.pk}/change/").content.decode()
    assert "alice, bob" in detail and "secret" not in detail
    assert staff_client.get("/admin/rooms/conversation/add/").status_code == 403


def test_conversations_are_not_rooms_and_their_messages_are_not_listed(staff_client, conversation, lobby):
    rooms = staff_client.get("/admin/rooms/room/").content.decode()
    assert "Lobby" in rooms and "Direct messages" not in rooms
    assert staff_client.get(f"/admin/rooms/room/{conversation.pk}/change/").status_code == 302  # "doesn't exist"
    Message.objects.create(room=lobby, author=None, text="a public word")
    messages = staff_client.get("/admin/rooms/message/").content.decode()
    assert "a public word" in messages and "secret" not in messages
    secret = conversation.messages.first()
    assert staff_client.get(f"/admin/rooms/message/{secret.pk}/change/").status_code == 302
    found = staff_client.get("/admin/rooms/message/", {"q": "secret"}).content.decode()
    assert "our secret" not in found and "still secret" not in found


def test_staff_delete_a_conversation_for_a_data_request(staff_client, conversation):
    response = staff_client.post(
        "/admin/rooms/conversation/",
        {"action": "delete_selected", "_selected_action": [conversation.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Message.objects.filter(text__contains="secret").exists()


def test_deleting_a_conversation_asks_without_showing_what_was_said(staff_client, conversation, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from files.models import Attachment

    settings.MEDIA_ROOT = tmp_path
    Attachment.objects.post(
        conversation, conversation.members.first(), "", [SimpleUploadedFile("our-secret-plan.pdf", b"%PDF-1.4 secret")]
    )
    for page in [
        staff_client.get(f"/admin/rooms/conversation/{conversation.pk}/delete/"),
        staff_client.post(
            "/admin/rooms/conversation/", {"action": "delete_selected", "_selected_action": [conversation.pk]}
        ),
    ]:
        html = page.content.decode()
        assert page.status_code == 200 and "Are you sure" in html
        assert "Direct messages: alice, bob" in html and "Messages: 3" in html
        assert "secret" not in html


def test_staff_cannot_change_who_is_in_a_conversation(staff_client, conversation, alice, bob, carol):
    detail = staff_client.get(f"/admin/rooms/conversation/{conversation.pk}/change/").content.decode()
    assert 'name="members"' not in detail and "<select" not in detail
    change = {"name": "Ours now", "slug": "ours", "members": [alice.pk, carol.pk], "is_private": "on"}
    assert staff_client.post(f"/admin/rooms/conversation/{conversation.pk}/change/", change).status_code == 403
    staff_client.post(f"/admin/rooms/room/{conversation.pk}/change/", change)
    assert set(conversation.members.all()) == {alice, bob}
