"""Staff see a message's files and sizes, and the storage each room holds."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rooms.models import Message, Room

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="pw-root-123"))
    return client


def test_a_messages_page_lists_its_files_and_sizes(staff_client, upload, alice, lobby):
    upload(alice, lobby, [SimpleUploadedFile("minutes.txt", b"x" * 2048)], caption="notes")
    message = Message.objects.get()
    page = staff_client.get(f"/admin/rooms/message/{message.pk}/change/").content.decode()
    assert "minutes.txt" in page and "2 KiB" in page


def test_files_are_listed_with_room_and_size(staff_client, upload, alice, lobby):
    upload(alice, lobby, [SimpleUploadedFile("minutes.txt", b"x" * 2048)])
    page = staff_client.get("/admin/files/attachment/").content.decode()
    assert "minutes.txt" in page and "2 KiB" in page and "Lobby" in page


def test_storage_per_room(staff_client, upload, alice, lobby):
    Room.objects.create(name="Empty", slug="empty")
    upload(alice, lobby, [SimpleUploadedFile("a.txt", b"x" * 1024), SimpleUploadedFile("b.txt", b"x" * 2048)])
    upload(alice, lobby, [SimpleUploadedFile("c.txt", b"x" * 1024)])
    page = staff_client.get("/admin/files/roomstorage/").content.decode()
    lobby_row = page[page.index(">Lobby<") :]
    lobby_row = lobby_row[: lobby_row.index("</tr>")]
    assert ">3<" in lobby_row and "4 KiB" in lobby_row
    empty_row = page[page.index(">Empty<") :]
    assert "0 bytes" in empty_row[: empty_row.index("</tr>")]


def test_deleting_a_file_in_the_admin_deletes_it_from_storage(staff_client, upload, alice, lobby, media_root):
    from files.models import Attachment

    from .conftest import stored_files

    upload(alice, lobby, [SimpleUploadedFile("a.txt", b"x")])
    attachment = Attachment.objects.get()
    response = staff_client.post(f"/admin/files/attachment/{attachment.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert stored_files(media_root) == []


def test_staff_never_see_a_direct_conversations_files_in_the_admin(staff_client, upload, alice, bob, lobby):
    from files.models import Attachment
    from rooms.models import conversation_between

    conversation = conversation_between(alice, [bob])[0]
    upload(alice, lobby, [SimpleUploadedFile("minutes.txt", b"x" * 2048)])
    upload(alice, conversation, [SimpleUploadedFile("our-secret-plan.pdf", b"%PDF-1.4 secret")])
    secret = Attachment.objects.get(name="our-secret-plan.pdf")

    listed = staff_client.get("/admin/files/attachment/").content.decode()
    assert "minutes.txt" in listed and "our-secret-plan" not in listed
    # Neither as a room to filter by.
    assert "Direct messages" not in listed and f"message__room__id__exact={conversation.pk}" not in listed
    searched = staff_client.get("/admin/files/attachment/", {"q": "secret"}).content.decode()
    assert "our-secret-plan" not in searched and "0 attachments" in searched
    filtered = staff_client.get("/admin/files/attachment/", {"message__room__id__exact": conversation.pk})
    assert "our-secret-plan" not in filtered.content.decode()
    assert staff_client.get(f"/admin/files/attachment/{secret.pk}/change/").status_code == 302  # "doesn't exist"
    storage = staff_client.get("/admin/files/roomstorage/").content.decode()
    assert ">Lobby<" in storage and f"/admin/files/roomstorage/{conversation.pk}/" not in storage
    assert "1 room storage" in storage
