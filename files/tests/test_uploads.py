"""Posting files: one message holding them all, saved in one transaction and
broadcast on the one path; refusals say why and keep nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from files.models import Attachment
from project.tests.fixtures import UNSENDABLE_TEXTS
from rooms.models import Message

from .conftest import stored_files

pytestmark = pytest.mark.django_db(transaction=True)


def test_several_files_and_a_caption_become_one_message(upload, alice, lobby, png, fragments):
    notes = SimpleUploadedFile("notes.txt", b"the minutes", content_type="text/plain")
    response = upload(alice, lobby, [png("a.png"), notes], caption="from the meeting")
    assert response.status_code == 201
    message = Message.objects.get()
    assert message.text == "from the meeting"
    assert [a.name for a in message.attachments.all()] == ["a.png", "notes.txt"]
    assert response.content.decode() == str(message.pk)
    live = [html for html in fragments if f'id="message-{message.pk}"' in html]
    assert len(live) == 1 and 'alt="a.png"' in live[0] and "notes.txt" in live[0] and "11 bytes" in live[0]


def test_files_without_a_caption_are_a_message(upload, alice, lobby, png, fragments):
    assert upload(alice, lobby, [png()]).status_code == 201
    assert Message.objects.get().attachments.count() == 1


def test_no_files_and_no_caption_is_refused(upload, alice, lobby):
    response = upload(alice, lobby, [])
    assert response.status_code == 400
    assert "Type a message" in response.content.decode()
    assert not Message.objects.exists()


def test_a_file_over_the_limit_is_refused_naming_the_limit(upload, alice, lobby, png, settings, media_root):
    settings.CHAT_MAX_UPLOAD_BYTES = 1024
    big = SimpleUploadedFile("big.log", b"x" * 1025, content_type="text/plain")
    response = upload(alice, lobby, [png(), big], caption="keep me")
    assert response.status_code == 413
    assert response.content.decode() == "big.log is too large: files are limited to 1 KiB each."
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert stored_files(media_root) == []


def test_the_default_limit_is_25_mib(settings):
    assert settings.CHAT_MAX_UPLOAD_BYTES == 25 * 1024 * 1024


def test_a_body_too_large_for_any_file_is_refused_unread(upload, alice, lobby, settings):
    settings.CHAT_MAX_UPLOAD_BYTES = 100
    settings.CHAT_MAX_FILES_PER_MESSAGE = 1
    big = SimpleUploadedFile("big.bin", b"x" * (2 * 1024 * 1024), content_type="application/octet-stream")
    response = upload(alice, lobby, [big])
    assert response.status_code == 413 and "limited to 100 bytes" in response.content.decode()


def test_too_many_files_are_refused(upload, alice, lobby, settings):
    settings.CHAT_MAX_FILES_PER_MESSAGE = 2
    files = [SimpleUploadedFile(f"{n}.txt", b"x") for n in range(3)]
    response = upload(alice, lobby, files)
    assert response.status_code == 400 and "At most 2 files" in response.content.decode()
    assert not Message.objects.exists()


def test_uploads_need_csrf(alice, lobby, png):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.post("/rooms/lobby/files/", {"file": [png()]})
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_anonymous_uploads_are_refused(lobby, png):
    response = Client().post("/rooms/lobby/files/", {"file": [png()]})
    assert response.status_code == 403 and not Message.objects.exists()


def test_a_private_room_is_404_for_non_members(upload, bob, private_room, png, media_root):
    assert upload(bob, private_room, [png()]).status_code == 404
    assert not Message.objects.exists() and stored_files(media_root) == []


def test_an_archived_room_refuses_files(upload, alice, archived_room, png, media_root):
    response = upload(alice, archived_room, [png()])
    assert response.status_code == 403 and "archived" in response.content.decode()
    assert stored_files(media_root) == []


def test_flood_control_counts_uploads(upload, alice, lobby, settings, media_root):
    settings.CHAT_RATE_LIMIT_MESSAGES = 1
    assert upload(alice, lobby, [SimpleUploadedFile("1.txt", b"1")]).status_code == 201
    response = upload(alice, lobby, [SimpleUploadedFile("2.txt", b"2")])
    assert response.status_code == 429 and "too quickly" in response.content.decode()
    assert Attachment.objects.get().name == "1.txt"
    assert len(stored_files(media_root)) == 1


def test_a_resent_upload_posts_once(upload, alice, lobby, media_root, fragments):
    for _ in range(2):
        assert upload(alice, lobby, [SimpleUploadedFile("a.txt", b"a")], client_id="c-1").status_code == 201
    assert Message.objects.count() == 1 and Attachment.objects.count() == 1
    assert len(stored_files(media_root)) == 1


def test_a_caption_over_the_length_limit_stores_nothing(upload, alice, lobby, settings, png, media_root):
    settings.CHAT_MAX_MESSAGE_LENGTH = 5
    response = upload(alice, lobby, [png()], caption="too long a caption")
    assert response.status_code == 400 and "limited to 5 characters" in response.content.decode()
    assert stored_files(media_root) == []


def test_the_page_and_the_broadcast_render_the_same_attachments(client, alice, lobby, upload, png, fragments):
    """The first page load and the live update render the same .attachment markup."""
    from rooms import broadcasts

    notes = SimpleUploadedFile("notes.txt", b"x")
    upload(alice, lobby, [png("same.png"), notes], caption="same markup")
    message = Message.objects.get()
    client.force_login(alice)
    page = client.get("/rooms/lobby/").content.decode()
    live = broadcasts.render("message", message=message).strip()
    assert 'class="attachment attachment-image"' in live and 'class="attachment"' in live
    assert live in page
    assert live in fragments[0]


# A form cannot carry a lone surrogate (UTF-8 has no form for it, and what
# is not UTF-8 is read as U+FFFD): the others.
IN_A_FORM = {kind: text for kind, text in UNSENDABLE_TEXTS.items() if kind != "lone surrogate"}


@pytest.mark.parametrize(("text", "named"), IN_A_FORM.values(), ids=IN_A_FORM.keys())
def test_a_caption_no_message_may_hold_is_refused_before_any_file_is_stored(
    upload, alice, lobby, png, media_root, text, named
):
    response = upload(alice, lobby, [png()], caption=text)
    assert response.status_code == 400 and f"cannot contain {named}" in response.content.decode()
    assert not Message.objects.exists() and stored_files(media_root) == []


def test_a_caption_keeps_the_crlf_a_browser_posts_between_its_lines(upload, alice, lobby, png):
    assert upload(alice, lobby, [png()], caption="line one\r\nline two").status_code == 201
    assert Message.objects.get().text == "line one\r\nline two"
