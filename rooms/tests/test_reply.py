import pytest
from django.core.exceptions import ValidationError

from realtime import broadcast
from rooms import broadcasts
from rooms.models import Message, Room

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fragments(monkeypatch):
    """The HTML the broadcast path sends to rooms (not room lists) during a test."""
    sent = []

    async def send(group, event_type, html, **extra):
        if group != broadcast.LIST_GROUP:
            sent.append(html)

    monkeypatch.setattr(broadcast, "send", send)
    return sent


@pytest.fixture
def original(lobby, alice, fragments):
    return Message.objects.post(lobby, alice, "Shall we meet at   noon?\nOr later?")


def quote_of(original, html):
    return f'class="reply-quote quote-of-message-{original.pk}"' in html


def test_a_reply_quotes_its_original_with_a_link_to_it(lobby, bob, original, fragments):
    reply = Message.objects.post(lobby, bob, "noon works", reply_to=original.pk)
    assert reply.reply_to == original and reply.is_reply
    html = fragments[-1]
    assert quote_of(original, html) and f'href="/rooms/lobby/messages/{original.pk}/"' in html
    assert '<span class="reply-quote-author">alice</span>' in html
    assert '<span class="reply-quote-text">Shall we meet at noon? Or later?</span>' in html


def test_a_long_original_is_quoted_by_its_start(lobby, alice, bob, fragments):
    long = Message.objects.post(lobby, alice, "word " * 100)
    reply = Message.objects.post(lobby, bob, "tl;dr", reply_to=long.pk)
    assert len(reply.reply_to.quote_text) == 80 and reply.reply_to.quote_text.endswith("…")


def test_replying_to_a_message_of_another_room_is_refused(lobby, alice, bob, fragments):
    elsewhere = Message.objects.post(Room.objects.create(name="Other", slug="other"), alice, "over here")
    with pytest.raises(ValidationError, match="only reply to a message of this room"):
        Message.objects.post(lobby, bob, "sneaky", reply_to=elsewhere.pk)
    assert not Message.objects.filter(text="sneaky").exists()


def test_replying_to_a_deleted_message_is_refused(lobby, bob, original):
    pk = original.pk
    original.delete()
    with pytest.raises(ValidationError, match="still exists"):
        Message.objects.post(lobby, bob, "too late", reply_to=pk)


def test_the_quote_follows_edits_of_the_original(client, lobby, alice, bob, original, fragments):
    reply = Message.objects.post(lobby, bob, "noon works", reply_to=original.pk)
    original.edit(alice, "Shall we meet at one?")
    # Live: the edit also replaces every quote of the message, by class.
    assert f'hx-swap-oob="outerHTML:.quote-of-message-{original.pk}"' in fragments[-1]
    assert "Shall we meet at one?" in fragments[-1]
    # Page load: the reply quotes the current text.
    client.force_login(bob)
    page = client.get("/rooms/lobby/").content.decode()
    quoted = page[page.index(f'id="message-{reply.pk}"') :]
    assert '<span class="reply-quote-text">Shall we meet at one?</span>' in quoted


def test_a_deleted_original_shows_as_message_deleted(client, lobby, alice, bob, original, fragments):
    reply = Message.objects.post(lobby, bob, "noon works", reply_to=original.pk)
    original.delete_by(alice)
    live = fragments[-1]
    assert f'hx-swap-oob="outerHTML:.quote-of-message-{original.pk}"' in live and "message deleted" in live
    reply = Message.objects.for_display().get(pk=reply.pk)
    assert reply.reply_to is None and reply.is_reply
    client.force_login(bob)
    page = client.get("/rooms/lobby/").content.decode()
    assert "message deleted" in page and "noon works" in page
    # The page shows what a live update leaves behind.
    deleted = (
        '<p class="reply-quote reply-quote-deleted"><span class="visually-hidden">Reply to a </span>message deleted</p>'
    )
    assert deleted in page and deleted in live.replace(f' hx-swap-oob="outerHTML:.quote-of-message-{original.pk}"', "")


def test_replies_render_in_a_fixed_number_of_queries(
    lobby, alice, bob, original, django_assert_max_num_queries, settings
):
    settings.CHAT_RATE_LIMIT_MESSAGES = 0
    for n in range(10):
        Message.objects.post(lobby, bob, f"reply {n}", reply_to=original.pk)
    with django_assert_max_num_queries(4):
        html = broadcasts.render("older-page", history=lobby.history_page()[0], room=lobby)
    assert html.count(f"quote-of-message-{original.pk}") == 10
