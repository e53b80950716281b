"""Messages with files everywhere messages go: catch-up, edits, history, in a
fixed number of queries."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from files.models import Attachment
from rooms import broadcasts
from rooms.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reconnecting_page_catches_up_with_the_files(upload, alice, lobby, png):
    upload(alice, lobby, [png("missed.png")], caption="while you were away")
    missed = Message.objects.missed_since(lobby, 0, 10)
    html = broadcasts.catch_up(missed)
    assert 'alt="missed.png"' in html and "while you were away" in html


def test_editing_the_caption_keeps_the_files_on_every_page(upload, alice, lobby, png, fragments):
    upload(alice, lobby, [png("keep.png")], caption="frist")
    message = Message.objects.get()
    fragments.clear()
    message.edit(alice, "first")
    assert len(fragments) == 1
    assert "first" in fragments[0] and 'alt="keep.png"' in fragments[0] and 'hx-swap-oob="outerHTML"' in fragments[0]
    assert Attachment.objects.get().message_id == message.pk


def queries_of(request):
    from django.db import connection

    count = []
    with connection.execute_wrapper(lambda execute, *args: count.append(1) or execute(*args)):
        response = request()
    return len(count), response


def test_history_renders_files_in_a_fixed_number_of_queries(client, upload, alice, lobby, png):
    client.force_login(alice)
    upload(alice, lobby, [png()], caption="one")
    few, _ = queries_of(lambda: client.get("/rooms/lobby/"))
    for n in range(5):
        upload(alice, lobby, [png(f"{n}.png"), SimpleUploadedFile(f"{n}.txt", b"x")], caption=f"more {n}")
    many, response = queries_of(lambda: client.get("/rooms/lobby/"))
    assert many == few
    assert response.content.decode().count('<li class="attachment') == 11


def test_posting_files_to_a_room_one_cannot_read_stores_nothing(alice, bob, private_room, media_root):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        Attachment.objects.post(private_room, bob, "hi", [SimpleUploadedFile("a.txt", b"a")])
    assert not media_root.exists() or not any(media_root.rglob("*.txt"))
