"""Cheap checks first: an upload refused for its sender, room, rights,
flood allowance, caption or files is refused before its body is parsed or
before any file is stored or decoded, and refused uploads cannot repeat at
will."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from files.views import SIGNED_OUT
from rooms.models import Message

from .conftest import CSRF_TOKEN, as_the_page, stored_files, upload_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_anonymous_upload_is_refused_before_its_body_is_parsed(lobby, png, parsed_files):
    response = as_the_page().post(upload_url(lobby), {"message": "hi", "file": [png()]})
    assert (response.status_code, response.content.decode()) == (403, SIGNED_OUT)
    assert parsed_files == []


def test_an_upload_with_its_csrf_token_in_the_form_instead_of_the_header_is_refused_unparsed(
    alice, lobby, png, parsed_files
):
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["csrftoken"] = CSRF_TOKEN
    browser.force_login(alice)
    response = browser.post(upload_url(lobby), {"csrfmiddlewaretoken": CSRF_TOKEN, "file": [png()]})
    assert response.status_code == 403 and b"CSRF" in response.content
    assert parsed_files == [] and not Message.objects.exists()


def test_a_non_member_is_answered_404_before_the_body_is_parsed(upload, bob, private_room, png, parsed_files):
    assert upload(bob, private_room, [png()]).status_code == 404
    assert parsed_files == []


def test_an_archived_room_refuses_an_upload_before_its_body_is_parsed(upload, alice, archived_room, png, parsed_files):
    response = upload(alice, archived_room, [png()])
    assert response.status_code == 403 and "archived" in response.content.decode()
    assert parsed_files == []


def test_an_upload_past_the_flood_limit_is_refused_before_its_body_is_parsed(
    upload, alice, lobby, png, settings, parsed_files, reencoder_runs
):
    settings.CHAT_RATE_LIMIT_MESSAGES = 1
    Message.objects.post(lobby, alice, "one message: the limit")
    response = upload(alice, lobby, [png()])
    assert response.status_code == 429 and "too quickly" in response.content.decode()
    assert parsed_files == [] and reencoder_runs == []


@pytest.mark.parametrize(
    ("caption", "files", "refusal"),
    [
        ("x" * 2500, 3, "Messages are limited to 2000 characters (this one has 2500)."),
        ("y", 11, "At most 10 files can go in one message."),
    ],
)
def test_a_refused_caption_or_file_count_is_answered_before_any_image_is_decoded(
    caption, files, refusal, upload, alice, lobby, png, media_root, reencoder_runs
):
    response = upload(alice, lobby, [png(f"{n}.png", size=(1600, 1200)) for n in range(files)], caption=caption)
    assert (response.status_code, response.content.decode()) == (400, refusal)
    assert reencoder_runs == [] and stored_files(media_root) == []


def test_each_accepted_image_is_decoded_once(upload, alice, lobby, png, reencoder_runs):
    assert upload(alice, lobby, [png("a.png"), png("b.png"), SimpleUploadedFile("c.txt", b"c")]).status_code == 201
    assert len(reencoder_runs) == 2


def test_refused_uploads_count_until_further_ones_are_refused_unread(
    upload, alice, bob, lobby, png, settings, parsed_files, reencoder_runs
):
    settings.CHAT_UPLOAD_ATTEMPTS = 3
    settings.CHAT_UPLOAD_WINDOW_SECONDS = 600
    for _ in range(3):
        assert upload(alice, lobby, [png()], caption="x" * 2500).status_code == 400
    parsed_files.clear()
    response = upload(alice, lobby, [png()], caption="a fine caption, now")
    assert response.status_code == 429
    assert response.content.decode() == (
        "Too many of your uploads were refused: at most 3 every 600 seconds. Wait a while before trying again."
    )
    assert parsed_files == [] and reencoder_runs == [] and not Message.objects.exists()
    # Counted per person.
    assert upload(bob, lobby, [png()]).status_code == 201


def test_accepted_uploads_do_not_count_as_refused(upload, alice, lobby, settings):
    settings.CHAT_UPLOAD_ATTEMPTS = 1
    for n in range(3):
        assert upload(alice, lobby, [SimpleUploadedFile(f"{n}.txt", b"n")]).status_code == 201
