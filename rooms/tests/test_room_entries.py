"""The room list's entries are kept once rendered (rooms/templatetags/room_entries.py):
what a page shows must never be an older state, nor someone else's counts."""

import re

from django.test import override_settings

from rooms.models import Message, ReadMark


def entry(client, room):
    return re.search(rf'<li id="room-entry-{room.pk}".*?</li>', client.get("/").content.decode(), re.S).group()


def test_kept_entries_are_the_entries_rendered_afresh(client, alice, bob, lobby, private_room):
    Message.objects.create(room=lobby, author=bob, text="hello @alice")
    client.force_login(alice)
    with override_settings(DEBUG=True):
        fresh = client.get("/rooms/lobby/").content.decode()
    with override_settings(DEBUG=False):
        assert client.get("/rooms/lobby/").content.decode().count("room-entry-") == fresh.count("room-entry-")
        kept = client.get("/rooms/lobby/").content.decode()
    pattern = r'<ul id="room-list".*?</ul>'
    assert re.search(pattern, kept, re.S).group() == re.search(pattern, fresh, re.S).group()


@override_settings(DEBUG=False)
def test_an_entry_follows_new_messages_renames_and_reads(client, alice, bob, lobby):
    client.force_login(alice)
    Message.objects.create(room=lobby, author=bob, text="one")
    assert 'data-unread="1"' in entry(client, lobby)
    Message.objects.create(room=lobby, author=bob, text="two")
    assert 'data-unread="2"' in entry(client, lobby)
    lobby.name = "Front desk"
    lobby.save()
    assert "# Front desk" in entry(client, lobby)
    ReadMark.objects.mark_read(alice, lobby, Message.objects.latest("pk").pk)
    assert 'data-unread="0"' in entry(client, lobby) and '<span class="unread-count" hidden>' in entry(client, lobby)


@override_settings(DEBUG=False)
def test_one_readers_counts_never_show_on_anothers_list(client, alice, bob, lobby):
    Message.objects.create(room=lobby, author=bob, text="for alice")
    client.force_login(alice)
    assert 'data-unread="1"' in entry(client, lobby)
    client.force_login(bob)
    assert 'data-unread="0"' in entry(client, lobby)
