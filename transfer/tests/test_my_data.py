""" "Download my data" at /settings/: the worker makes a zip of the person's
messages, files and settings; only they can download it, for
CHAT_DATA_EXPORT_DAYS, and then it is gone."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from files.models import Attachment
from rooms.models import Message, conversation_between
from transfer.models import DataExport

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(alice, bob, lobby, private_room, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 100
    Message.objects.post(lobby, alice, "Mine, in the lobby, for @bob")
    Message.objects.post(lobby, bob, "Bob's, not alice's")
    Message.objects.post(private_room, alice, "Mine, in private")
    Message.objects.post(conversation_between(alice, [bob])[0], alice, "Mine, to bob")
    Attachment.objects.post(lobby, alice, "A file of mine", [SimpleUploadedFile("notes.txt", b"my notes\n")])


def ask(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/settings/data/request/")


def test_settings_offers_the_button(client, alice):
    client.force_login(alice)
    page = client.get("/settings/").content.decode()
    assert 'id="my-data"' in page and '<button type="submit" id="download-my-data"' in page
    assert "Download my data" in page


def test_the_worker_makes_a_zip_of_the_persons_own_data(
    client, alice, history, run_tasks, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    response = ask(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == "/settings/#my-data"
    page = client.get("/settings/").content.decode()
    assert "Preparing your data" in page and 'hx-trigger="every 2s"' in page and 'id="download-my-data"' not in page
    run_tasks()
    section = client.get("/settings/data/").content.decode()
    assert 'id="my-data-download"' in section and "hx-trigger" not in section
    export = DataExport.objects.get()
    download = client.get(export.get_absolute_url())
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert f'filename="chat-data-alice-{timezone.localdate():%Y-%m-%d}.zip"' in download["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        names = archive.namelist()
        texts = sorted(
            message["text"]
            for name in names
            if name.endswith(".json") and "/" in name and not name.startswith("__uploads/")
            for message in json.loads(archive.read(name))
        )
        settings_json = json.loads(archive.read("settings.json"))
        people = {person["name"]: person for person in json.loads(archive.read("users.json"))}
        upload = next(name for name in names if name.startswith("__uploads/"))
        assert archive.read(upload) == b"my notes\n"
    assert texts == [
        "A file of mine",
        "Mine, in private",
        f"Mine, in the lobby, for <@{people['bob']['id']}>",
        "Mine, to bob",
    ]
    assert settings_json["username"] == "alice" and settings_json["email_unread_mentions_and_dms"] is True
    assert (settings_json["display_name"], settings_json["avatar"]) == ("", "")
    assert "email" not in people["bob"]["profile"]


def test_only_its_person_can_download_it(client, alice, bob, history, run_tasks, django_capture_on_commit_callbacks):
    client.force_login(alice)
    ask(client, django_capture_on_commit_callbacks)
    run_tasks()
    url = DataExport.objects.get().get_absolute_url()
    client.force_login(bob)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_it_expires_and_is_deleted_with_its_file(
    client, alice, history, run_tasks, media, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    ask(client, django_capture_on_commit_callbacks)
    run_tasks()
    export = DataExport.objects.get()
    assert (media / export.file.name).exists()
    queued = DBTaskResult.objects.filter(task_path="transfer.tasks.delete_data_export").get()
    assert abs(queued.run_after - export.expires_at) < timedelta(seconds=1)
    DataExport.objects.update(expires_at=timezone.now())
    assert client.get(export.get_absolute_url()).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        run_tasks(later=True)
    assert not DataExport.objects.exists() and not (media / export.file.name).exists()


def test_one_at_a_time_and_a_new_one_replaces_the_last(
    client, alice, history, run_tasks, media, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    ask(client, django_capture_on_commit_callbacks)
    ask(client, django_capture_on_commit_callbacks)
    assert DataExport.objects.count() == 1
    assert "being prepared already" in client.get("/settings/").content.decode()
    run_tasks()
    first = DataExport.objects.get()
    page = client.get("/settings/").content.decode()
    assert "Prepare a new archive" in page
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, django_capture_on_commit_callbacks)
    assert list(DataExport.objects.values_list("status", flat=True)) == ["queued"]
    assert not (media / first.file.name).exists()


def test_asking_needs_a_post_and_a_session(client, alice):
    assert client.post("/settings/data/request/").status_code == 302
    client.force_login(alice)
    assert client.get("/settings/data/request/").status_code == 405
    assert not DataExport.objects.exists()


def test_the_settings_hold_the_display_name_and_the_avatar(
    client, alice, history, run_tasks, django_capture_on_commit_callbacks
):
    from accounts.models import AVATAR_SIZE, Profile
    from core import images

    from .conftest import png_bytes

    profile = Profile(user=alice, display_name="Ali")
    profile.set_avatar(images.re_encode("me.png", io.BytesIO(png_bytes(300, 200)), square=AVATAR_SIZE).original)
    profile.save()
    client.force_login(alice)
    ask(client, django_capture_on_commit_callbacks)
    run_tasks()
    download = client.get(DataExport.objects.get().get_absolute_url())
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        settings_json = json.loads(archive.read("settings.json"))
        avatar = archive.read(settings_json["avatar"])
    assert settings_json["display_name"] == "Ali" and settings_json["avatar"] == "avatar.png"
    with profile.avatar.open("rb") as stored:
        assert avatar == stored.read()
