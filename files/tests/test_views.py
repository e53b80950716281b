"""Fetching files: only readers of the room, images inline, everything else
downloaded with nosniff; deleted messages and rooms take their files along."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from files.models import Attachment
from rooms.models import Message, Room

from .conftest import signed_in, stored_files

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def html_file(upload, alice, lobby):
    page = SimpleUploadedFile("page.html", b"<script>alert(document.cookie)</script>", content_type="text/html")
    assert upload(alice, lobby, [page]).status_code == 201
    return Attachment.objects.get()


def test_a_non_image_is_downloaded_never_rendered(html_file, bob):
    response = signed_in(bob).get(html_file.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="page.html"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == b"<script>alert(document.cookie)</script>"


def test_an_image_and_its_preview_are_shown_inline(upload, alice, lobby, png, bob):
    upload(alice, lobby, [png("pic.png", size=(900, 900))])
    attachment = Attachment.objects.get()
    for url in (attachment.get_absolute_url(), attachment.preview_url):
        response = signed_in(bob).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].startswith("inline")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_an_image_asked_for_as_a_download_is_saved_under_its_name(upload, alice, lobby, png, bob):
    upload(alice, lobby, [png("whiteboard.png", size=(900, 900))])
    response = signed_in(bob).get(Attachment.objects.get().get_absolute_url() + "?download")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="whiteboard.png"'


def test_a_file_has_no_preview(html_file, bob):
    assert signed_in(bob).get(html_file.preview_url).status_code == 404


def test_files_of_a_private_room_are_404_for_non_members(upload, alice, bob, private_room, png):
    upload(alice, private_room, [png()])
    attachment = Attachment.objects.get()
    assert signed_in(alice).get(attachment.get_absolute_url()).status_code == 200
    for url in (attachment.get_absolute_url(), attachment.preview_url):
        assert signed_in(bob).get(url).status_code == 404
        assert Client().get(url).status_code == 404


def test_a_member_removed_from_the_room_gets_404(upload, alice, bob, private_room, png):
    private_room.members.add(bob)
    upload(alice, private_room, [png()])
    url = Attachment.objects.get().get_absolute_url()
    assert signed_in(bob).get(url).status_code == 200
    private_room.members.remove(bob)
    assert signed_in(bob).get(url).status_code == 404


def test_a_direct_conversations_files_are_its_participants_alone(upload, alice, bob, django_user_model, png):
    from rooms.models.direct import conversation_between

    carol = django_user_model.objects.create_user("carol", password="pw-carol-123")
    conversation = conversation_between(alice, [bob])[0]
    assert upload(carol, conversation, [png()]).status_code == 404
    assert upload(alice, conversation, [png()], caption="for bob").status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.message.room == conversation
    assert signed_in(bob).get(attachment.get_absolute_url()).status_code == 200
    assert signed_in(carol).get(attachment.get_absolute_url()).status_code == 404
    # A conversation is no room: its id is not a room's address.
    assert signed_in(alice).post(f"/rooms/{conversation.slug}/files/", {"file": [png()]}).status_code == 404


def test_an_unknown_file_is_404(alice, lobby):
    assert signed_in(alice).get("/files/999999/nothing.png").status_code == 404
    assert signed_in(alice).get("/files/999999/preview/").status_code == 404


def test_file_urls_survive_a_new_room_slug(upload, alice, lobby, png):
    upload(alice, lobby, [png()])
    url = Attachment.objects.get().get_absolute_url()
    Room.objects.filter(pk=lobby.pk).update(slug="hall")
    assert signed_in(alice).get(url).status_code == 200


def test_deleting_the_message_deletes_its_files(upload, alice, lobby, png, media_root):
    upload(alice, lobby, [png(), SimpleUploadedFile("a.txt", b"a")])
    urls = [a.get_absolute_url() for a in Attachment.objects.all()]
    assert len(stored_files(media_root)) == 3  # image, its preview, the text file
    Message.objects.get().delete_by(alice)
    assert stored_files(media_root) == []
    for url in urls:
        assert signed_in(alice).get(url).status_code == 404


def test_deleting_the_room_deletes_its_files(upload, alice, lobby, png, media_root):
    upload(alice, lobby, [png()])
    Room.objects.filter(pk=lobby.pk).delete()
    assert stored_files(media_root) == []


def test_a_rolled_back_deletion_keeps_the_files(upload, alice, lobby, png, media_root):
    from django.db import transaction

    upload(alice, lobby, [png()])
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 (the raise rolls back)
        Message.objects.get().delete_by(alice)
        raise RuntimeError("rolled back")
    assert len(stored_files(media_root)) == 2
    assert signed_in(alice).get(Attachment.objects.get().get_absolute_url()).status_code == 200


def test_the_page_shows_images_with_their_size_and_name(client, upload, alice, lobby, png):
    upload(alice, lobby, [png("holiday <1>.png", size=(100, 50))], caption="look")
    client.force_login(alice)
    page = client.get("/rooms/lobby/").content.decode()
    assert 'width="100" height="50" alt="holiday &lt;1&gt;.png"' in page
