import re

import pytest
from django.urls import reverse

from rooms.models import Message

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/rooms/lobby/", "/rooms/lobby/entry/"])
def test_anonymous_is_sent_to_login_with_next(client, lobby, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_room_list_shows_only_visible_rooms(client, alice, bob, private_room, lobby):
    client.force_login(bob)
    page = client.get("/").content.decode()
    assert 'href="/rooms/lobby/"' in page
    assert "secret" not in page.lower()
    client.force_login(alice)
    assert 'href="/rooms/secret/"' in client.get("/").content.decode()


def test_unknown_room_is_404(client, alice):
    client.force_login(alice)
    assert client.get("/rooms/nowhere/").status_code == 404


def test_private_room_is_404_for_non_members(client, bob, private_room):
    client.force_login(bob)
    response = client.get("/rooms/secret/")
    assert response.status_code == 404
    assert b"Secret" not in response.content


def test_room_page_has_the_contract_dom(client, alice, lobby):
    message = Message.objects.post(lobby, alice, "<b>hi</b>")
    client.force_login(alice)
    page = client.get("/rooms/lobby/").content.decode()
    for piece in [
        'id="messages"',
        'id="message-form"',
        'name="message"',
        'id="presence"',
        'id="chat-errors"',
        f'id="message-{message.pk}"',
        'class="message-author"',
        'class="message-body"',
        "<time datetime=",
        'hx-ws:connect="/ws/rooms/lobby/"',
        'hx-swap="none"',
    ]:
        assert piece in page, piece
    assert "&lt;b&gt;hi&lt;/b&gt;" in page and "<b>hi</b>" not in page
    assert "{#" not in page and "{%" not in page, "template syntax leaked into the page"


def test_room_page_renders_the_latest_50_oldest_first(client, alice, lobby, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 0
    ids = [Message.objects.post(lobby, alice, f"m{n}").pk for n in range(55)]
    client.force_login(alice)
    page = client.get("/rooms/lobby/").content.decode()
    positions = [page.find(f'id="message-{pk}"') for pk in ids]
    assert all(p == -1 for p in positions[:5])
    assert all(p > 0 for p in positions[5:])
    assert positions[5:] == sorted(positions[5:])


def test_archived_room_shows_history_without_composer(client, alice, archived_room):
    Message.objects.create(room=archived_room, author=alice, text="from the past")
    client.force_login(alice)
    page = client.get("/rooms/old/").content.decode()
    assert "from the past" in page
    assert 'id="message-form"' not in page
    assert "archived" in page


@pytest.mark.django_db(transaction=True)
def test_page_message_markup_is_the_broadcast_markup(client, alice, lobby, monkeypatch):
    """The first page load and the live update render the same partial."""
    from realtime import broadcast
    from rooms import broadcasts

    fragments = []

    async def send(group, event_type, html, **extra):
        fragments.append(html)

    monkeypatch.setattr(broadcast, "send", send)
    message = Message.objects.post(lobby, alice, "same markup")
    client.force_login(alice)
    page = client.get("/rooms/lobby/").content.decode()
    live = broadcasts.render("message", message=message).strip()
    assert live in page
    assert live in fragments[0]


@pytest.mark.django_db(transaction=True)
def test_page_reply_and_reactions_markup_is_the_broadcast_markup(client, alice, bob, lobby, monkeypatch):
    """A reply with its quote, and reactions, render the same on page load as live."""
    from realtime import broadcast

    fragments = []

    async def send(group, event_type, html, **extra):
        if group == lobby.group_name:
            fragments.append(html)

    monkeypatch.setattr(broadcast, "send", send)
    original = Message.objects.post(lobby, alice, "lunch?")
    Message.objects.post(lobby, bob, "yes", reply_to=original.pk)
    original.toggle_reaction(bob, "👍")
    original.toggle_reaction(alice, "👍")
    client.force_login(alice)
    page = client.get("/rooms/lobby/").content.decode()
    live_reply = fragments[1].removeprefix('<div hx-swap-oob="beforeend:#messages">').removesuffix("</div>")
    assert "reply-quote" in live_reply and live_reply.strip() in page
    live_reactions = fragments[-1].replace(' hx-swap-oob="outerHTML"', "")
    assert 'class="reaction-count">2<' in live_reactions and live_reactions in page


def test_pages_send_a_strict_content_security_policy(client, alice, lobby):
    client.force_login(alice)
    policy = client.get("/rooms/lobby/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_older_history_pages_back_to_the_first_message(client, alice, lobby, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 0
    settings.CHAT_HISTORY_LENGTH = 5
    pks = [Message.objects.post(lobby, alice, f"m{n}").pk for n in range(12)]
    client.force_login(alice)
    page = client.get("/rooms/lobby/").content.decode()
    assert f'href="/rooms/lobby/?before={pks[7]}"' in page and f"/rooms/lobby/older/?before={pks[7]}" in page
    shown = []
    before = pks[7]
    while before:
        fragment = client.get(f"/rooms/lobby/older/?before={before}").content.decode()
        assert "<html" not in fragment
        ids = [int(pk) for pk in re.findall(r'id="message-(\d+)"', fragment)]
        shown = ids + shown
        link = re.search(r'hx-get="/rooms/lobby/older/\?before=(\d+)"', fragment)
        before = int(link.group(1)) if link else None
    assert shown == pks[:7]


def test_older_page_without_javascript_is_a_full_page(client, alice, lobby, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 0
    settings.CHAT_HISTORY_LENGTH = 3
    pks = [Message.objects.post(lobby, alice, f"m{n}").pk for n in range(5)]
    client.force_login(alice)
    page = client.get(f"/rooms/lobby/?before={pks[3]}").content.decode()
    assert [int(pk) for pk in re.findall(r'id="message-(\d+)"', page)] == pks[:3]
    assert 'id="message-form"' in page and "Load older" not in page


@pytest.mark.parametrize("url", ["/rooms/lobby/?before=abc", "/rooms/lobby/older/?before=-1"])
def test_bad_before_is_a_clear_400(client, alice, lobby, url):
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 400 and b"message id" in response.content


def test_older_history_of_a_private_room_is_404_for_outsiders(client, bob, private_room):
    client.force_login(bob)
    assert client.get("/rooms/secret/older/?before=10").status_code == 404


def test_message_source_gives_the_author_the_text_as_typed(client, alice, bob, lobby, private_room):
    message = Message.objects.create(room=lobby, author=alice, text="**bold** <i>& co")
    url = reverse("rooms:message-source", args=["lobby", message.pk])
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "**bold** <i>& co"
    client.force_login(bob)
    assert client.get(url).status_code == 403
    secret = Message.objects.create(room=private_room, author=alice, text="secret")
    private_room.members.remove(alice)
    client.force_login(alice)
    assert client.get(reverse("rooms:message-source", args=["secret", secret.pk])).status_code == 404
    assert client.get(reverse("rooms:message-source", args=["secret", message.pk])).status_code == 404


def test_edited_message_says_so(client, alice, lobby):
    message = Message.objects.create(room=lobby, author=alice, text="first")
    message.edit(alice, "second")
    client.force_login(alice)
    html = client.get("/rooms/lobby/").content.decode()
    assert "second" in html and "(edited)" in html and 'data-revision="1"' in html


@pytest.mark.django_db(transaction=True)
def test_room_page_renders_mentions_and_formatting_in_a_fixed_number_of_queries(client, alice, bob, lobby, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 0
    client.force_login(alice)

    def queries_for_page():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            page = client.get("/rooms/lobby/").content.decode()
        return len(queries), page

    Message.objects.post(lobby, bob, "hi @alice")
    few, _ = queries_for_page()
    for n in range(20):
        Message.objects.post(lobby, bob, f"**{n}** for @alice")
    many, page = queries_for_page()
    assert many == few
    assert page.count(f'<span class="mention" data-user-id="{alice.pk}">@alice</span>') == 21
    assert "<strong>19</strong>" in page


def test_older_page_renders_mentions(client, alice, bob, lobby, settings):
    settings.CHAT_HISTORY_LENGTH = 1
    first = Message.objects.post(lobby, bob, "early @alice")
    last = Message.objects.post(lobby, bob, "late")
    client.force_login(alice)
    page = client.get(f"/rooms/lobby/older/?before={last.pk}").content.decode()
    assert f'id="message-{first.pk}"' in page
    assert f'<span class="mention" data-user-id="{alice.pk}">@alice</span>' in page


# --- the room list, unread counts and the "New messages" divider ----------------------


def test_room_list_and_sidebar_show_the_viewers_unread_counts(client, alice, bob, lobby):
    from rooms.models import ReadMark

    first, _second, _third = (Message.objects.create(room=lobby, author=bob, text=t) for t in ("a", "b", "c"))
    ReadMark.objects.mark_read(alice, lobby, first.pk)
    client.force_login(alice)
    for url in ("/", "/rooms/lobby/"):
        page = client.get(url).content.decode()
        entry = re.search(rf'<li id="room-entry-{lobby.pk}".*?</li>', page, re.S).group()
        assert f'data-last-read="{first.pk}" data-unread="2"' in entry
        assert re.search(
            r'<span class="unread-count"><span class="count-number">2</span>'
            r'<span class="visually-hidden"> unread</span>',
            entry,
        )
    client.force_login(bob)
    entry = re.search(rf'<li id="room-entry-{lobby.pk}".*?</li>', client.get("/").content.decode(), re.S).group()
    assert 'data-unread="0"' in entry and '<span class="unread-count" hidden>' in entry


def test_a_count_at_the_limit_shows_99_plus(client, alice, bob, lobby):
    from rooms.models import UNREAD_COUNT_LIMIT

    Message.objects.bulk_create(Message(room=lobby, author=bob, text="hi") for _ in range(UNREAD_COUNT_LIMIT + 1))
    client.force_login(alice)
    entry = re.search(rf'<li id="room-entry-{lobby.pk}".*?</li>', client.get("/").content.decode(), re.S).group()
    assert f'data-unread="{UNREAD_COUNT_LIMIT}"' in entry
    assert f'<span class="count-number">{UNREAD_COUNT_LIMIT - 1}+</span><span class="visually-hidden"> unread' in entry


def test_the_room_list_script_counts_on_from_the_servers_limit():
    from pathlib import Path

    from rooms.models import UNREAD_COUNT_LIMIT

    script = (Path(__file__).parents[2] / "frontend/static/frontend/room-list.js").read_text()
    assert f"const COUNT_LIMIT = {UNREAD_COUNT_LIMIT};" in script


@pytest.mark.parametrize("url", ["/", "/rooms/lobby/"])
def test_room_list_queries_do_not_grow_with_the_rooms(client, alice, bob, lobby, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rooms.models import ReadMark, Room

    def queries_with(rooms):
        for i in range(Room.objects.count(), rooms):
            room = Room.objects.create(name=f"Room {i}", slug=f"room-{i}", is_private=i % 2 == 0)
            room.members.add(alice)
            message = Message.objects.create(room=room, author=bob, text="@alice hello")
            message.mentions.add(alice)
            ReadMark.objects.create(user=alice, room=room, last_read=0)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.force_login(alice)
    assert queries_with(3) == queries_with(30)


def test_one_entry_with_the_viewers_counts_for_a_room_that_just_appeared(client, alice, bob, private_room):
    Message.objects.create(room=private_room, author=alice, text="before bob was here")
    Message.objects.create(room=private_room, author=alice, text="and more")
    client.force_login(bob)
    assert client.get("/rooms/secret/entry/").status_code == 404  # not a member: no trace of it
    private_room.members.add(bob)
    entry = client.get("/rooms/secret/entry/").content.decode().strip()
    assert entry.startswith(f'<li id="room-entry-{private_room.pk}"') and entry.endswith("</li>")
    assert 'data-last-read="0" data-unread="2" data-mentions="0"' in entry


def test_divider_sits_above_the_first_message_by_others_after_the_last_read_one(client, alice, bob, lobby):
    from rooms.models import ReadMark

    read = Message.objects.create(room=lobby, author=bob, text="read")
    own = Message.objects.create(room=lobby, author=alice, text="written elsewhere")
    new = Message.objects.create(room=lobby, author=bob, text="new")
    client.force_login(alice)
    # First visit: everything is new, no divider needed.
    assert 'id="unread-divider"' not in client.get("/rooms/lobby/").content.decode()
    ReadMark.objects.mark_read(alice, lobby, read.pk)
    page = client.get("/rooms/lobby/").content.decode()
    assert page.count('id="unread-divider"') == 1
    positions = [
        page.index(marker) for marker in (f'id="message-{own.pk}"', 'id="unread-divider"', f'id="message-{new.pk}"')
    ]
    assert positions == sorted(positions)
    ReadMark.objects.mark_read(alice, lobby, new.pk)
    assert 'id="unread-divider"' not in client.get("/rooms/lobby/").content.decode()


def test_room_list_page_opens_its_listening_socket(client, alice, lobby):
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert 'hx-ws:connect="/ws/rooms/"' in page and 'id="room-activity"' in page


# --- permalinks: the room page opened around one message ------------------------------


@pytest.fixture
def long_history(lobby, alice, settings):
    settings.CHAT_HISTORY_LENGTH = 10
    return [Message.objects.create(room=lobby, author=alice, text=f"line {i}") for i in range(40)]


def test_a_permalink_opens_the_room_around_the_message(client, alice, lobby, long_history):
    target = long_history[20]
    client.force_login(alice)
    response = client.get(f"/rooms/lobby/messages/{target.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    shown = [int(pk) for pk in re.findall(r'<article id="message-(\d+)"', page)]
    assert shown == [m.pk for m in long_history[15:25]]
    assert f'<article id="message-{target.pk}" class="message message-linked"' in page
    assert 'id="message-form"' in page and 'id="load-older"' in page
    assert f'hx-get="/rooms/lobby/newer/?after={long_history[24].pk}"' in page
    assert f'data-latest="{long_history[-1].pk}"' in page


def test_newer_pages_reach_the_present(client, alice, lobby, long_history):
    client.force_login(alice)
    page = client.get(f"/rooms/lobby/newer/?after={long_history[24].pk}").content.decode()
    assert [int(pk) for pk in re.findall(r'<article id="message-(\d+)"', page)] == [m.pk for m in long_history[25:35]]
    assert f"?after={long_history[34].pk}" in page
    page = client.get(f"/rooms/lobby/newer/?after={long_history[34].pk}").content.decode()
    assert len(re.findall(r'<article id="message-', page)) == 5 and "load-newer" not in page
    assert client.get("/rooms/lobby/newer/?after=x").status_code == 400
    assert client.get(f"/rooms/lobby/newer/?after={2**64}").status_code == 400


def test_a_permalink_to_a_recent_message_is_already_at_the_present(client, alice, lobby, long_history):
    client.force_login(alice)
    page = client.get(f"/rooms/lobby/messages/{long_history[-2].pk}/").content.decode()
    assert "load-newer" not in page and len(re.findall(r'<article id="message-', page)) == 10


def test_permalinks_are_404_where_the_room_page_is(client, alice, bob, lobby, private_room):
    secret = Message.objects.create(room=private_room, author=alice, text="hush")
    public = Message.objects.create(room=lobby, author=alice, text="hi")
    client.force_login(bob)
    response = client.get(f"/rooms/secret/messages/{secret.pk}/")
    assert response.status_code == 404 and b"Secret" not in response.content
    assert client.get("/rooms/secret/newer/?after=0").status_code == 404
    # A message of another room, or none at all.
    assert client.get(f"/rooms/lobby/messages/{secret.pk}/").status_code == 404
    assert client.get(f"/rooms/lobby/messages/{public.pk + 100}/").status_code == 404
    assert client.get(f"/rooms/lobby/messages/{2**64}/").status_code == 404
    assert client.get(f"/rooms/lobby/messages/{public.pk}/").status_code == 200


def test_the_composer_is_a_textarea_that_cuts_nothing_and_knows_its_limit(client, alice, lobby, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 500
    client.force_login(alice)
    page = client.get("/rooms/lobby/").content.decode()
    box = re.search(r'<textarea id="message-input" name="message"[^>]*>', page).group()
    assert 'data-max-length="500"' in box and "maxlength" not in box
    assert 'role="combobox"' in box and 'aria-controls="message-input-completions"' in box
    assert 'id="message-input-completions" class="completions" role="listbox"' in page
    assert 'data-people-url="/rooms/lobby/people/"' in page


def test_the_emoji_table_is_the_servers_shortcodes_cached_for_good(client):
    from rooms import shortcodes

    response = client.get(f"/emoji/{shortcodes.VERSION}.json", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"] and "max-age=31536000" in response["Cache-Control"]
    import gzip
    import json

    table = json.loads(gzip.decompress(response.content))
    assert table == shortcodes.table() and table["tada"] == "🎉"


def test_a_page_from_before_an_upgrade_is_sent_to_the_current_table(client):
    from rooms import shortcodes

    response = client.get("/emoji/0.0.1.json")
    assert response.status_code == 302 and response["Location"] == f"/emoji/{shortcodes.VERSION}.json"
    assert "immutable" not in response.get("Cache-Control", "")
