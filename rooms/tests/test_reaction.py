import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from realtime import broadcast
from rooms import flood
from rooms.models import Message, Reaction, RoomArchived
from rooms.models.reaction import DEFAULT_PALETTE, normalized_emoji

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fragments(monkeypatch):
    """What the broadcast path sends to rooms during a test: (group, html)."""
    sent = []

    async def send(group, event_type, html, **extra):
        sent.append((group, html))

    monkeypatch.setattr(broadcast, "send", send)
    return sent


@pytest.fixture
def message(lobby, alice, fragments):
    posted = Message.objects.post(lobby, alice, "lunch?")
    fragments.clear()
    return posted


def emoji_of(message):
    return list(Reaction.objects.filter(message=message).values_list("user__username", "emoji"))


def test_reacting_adds_and_reacting_again_takes_it_back(message, bob):
    assert message.toggle_reaction(bob, "👍") is True
    assert emoji_of(message) == [("bob", "👍")]
    assert message.toggle_reaction(bob, "👍") is False
    assert emoji_of(message) == []


def test_each_change_reaches_every_page_once_as_the_reactions_block(message, alice, bob, fragments):
    message.toggle_reaction(bob, "👍")
    message.toggle_reaction(alice, "👍")
    assert len(fragments) == 2
    group, html = fragments[-1]
    assert group == message.room.group_name
    assert f'id="reactions-{message.pk}"' in html and 'hx-swap-oob="outerHTML"' in html
    assert 'class="reaction-count">2<' in html
    assert f'data-user-ids=" {bob.pk} {alice.pk} "' in html
    # Who reacted is named for everyone; whose is pressed, each page decides.
    assert "bob and alice reacted with thumbs up" in html and 'aria-pressed="false"' in html
    assert "<article" not in html, "a reaction is one small fragment, not the whole message"


def test_the_page_shows_reactions_as_the_live_update_renders_them(client, message, bob, fragments):
    message.toggle_reaction(bob, "🎉")
    live = fragments[-1][1].replace(' hx-swap-oob="outerHTML"', "")
    client.force_login(bob)
    assert live in client.get("/rooms/lobby/").content.decode()


def test_the_same_emoji_typed_with_or_without_its_variation_selector_is_one_reaction(message, alice, bob):
    message.toggle_reaction(alice, "❤")
    message.toggle_reaction(bob, "❤️")
    assert [group.count for group in Message.objects.for_display().get(pk=message.pk).reaction_groups] == [2]


@pytest.mark.parametrize("value", ["", "a", "👍👍", ":)", "thumbs up", "👍 and more", None, "x" * 40])
def test_only_one_emoji_is_a_reaction(message, bob, value):
    with pytest.raises(ValidationError, match="single emoji"):
        message.toggle_reaction(bob, value)
    assert emoji_of(message) == []


def test_skin_tones_flags_and_families_are_one_emoji_each():
    for value in ["👍🏽", "🇫🇷", "👨‍👩‍👧", "#️⃣"]:
        assert normalized_emoji(value) == value


def test_a_message_has_a_limited_number_of_different_emoji(message, alice, bob, settings):
    settings.CHAT_REACTION_EMOJI_PER_MESSAGE = 2
    message.toggle_reaction(alice, "👍")
    message.toggle_reaction(alice, "🎉")
    with pytest.raises(ValidationError, match="already has 2 different reactions"):
        message.toggle_reaction(bob, "😂")
    # Joining an emoji already there is always possible.
    message.toggle_reaction(bob, "👍")
    assert sorted(emoji_of(message)) == [("alice", "🎉"), ("alice", "👍"), ("bob", "👍")]


def test_one_person_has_a_limited_number_of_reactions_per_message(message, alice, bob, settings):
    settings.CHAT_REACTION_EMOJI_PER_PERSON = 2
    message.toggle_reaction(bob, "👍")
    message.toggle_reaction(bob, "🎉")
    with pytest.raises(ValidationError, match="at most 2 reactions"):
        message.toggle_reaction(bob, "😂")
    message.toggle_reaction(alice, "😂")  # others still can
    message.toggle_reaction(bob, "🎉")  # and taking one back makes room
    message.toggle_reaction(bob, "😂")
    assert sorted(emoji_of(message)) == [("alice", "😂"), ("bob", "👍"), ("bob", "😂")]


def test_reacting_too_quickly_is_refused_and_does_not_use_up_messages(message, bob, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES, settings.CHAT_RATE_LIMIT_SECONDS = 2, 60
    for emoji in ["👍", "🎉", "😂", "🙏"]:
        message.toggle_reaction(bob, emoji)
    with pytest.raises(flood.FloodError, match="reacting too quickly"):
        message.toggle_reaction(bob, "👀")
    assert len(emoji_of(message)) == 4
    Message.objects.post(message.room, bob, "still allowed to write")


def test_reacting_in_an_archived_room_or_a_room_one_cannot_read_is_refused(
    archived_room, private_room, alice, bob, fragments
):
    old = Message.objects.create(room=archived_room, author=alice, text="old news")
    with pytest.raises(RoomArchived):
        old.toggle_reaction(alice, "👍")
    secret = Message.objects.post(private_room, alice, "members only")
    with pytest.raises(PermissionDenied):
        secret.toggle_reaction(bob, "👍")
    assert not Reaction.objects.exists()


def test_a_deleted_message_cannot_get_reactions(message, bob):
    Message.objects.filter(pk=message.pk).delete()
    with pytest.raises(Message.DoesNotExist):
        message.toggle_reaction(bob, "👍")


def test_reactions_go_with_their_message(message, bob):
    message.toggle_reaction(bob, "👍")
    message.delete_by(message.author)
    assert not Reaction.objects.exists()


def test_a_reconnecting_page_gets_the_reactions_it_missed(message, alice, bob):
    shown = Message.objects.get(pk=message.pk).revision
    message.toggle_reaction(bob, "👍")
    gone, changed = Message.objects.changed_among(message.room, [message.pk], {message.pk: shown})
    assert gone == [] and [m.pk for m in changed] == [message.pk]
    assert changed[0].reaction_groups[0].names == ["bob"]
    # A page that saw it is sent nothing.
    seen = Message.objects.get(pk=message.pk).revision
    assert Message.objects.changed_among(message.room, [message.pk], {message.pk: seen}) == ([], [])


def test_many_people_are_named_up_to_ten_then_counted(message, django_user_model):
    for n in range(12):
        message.toggle_reaction(django_user_model.objects.create_user(f"user{n:02}"), "👀")
    group = Message.objects.for_display().get(pk=message.pk).reaction_groups[0]
    assert group.count == 12 and group.people.endswith("user08, user09 and 2 more")


def test_the_palette_offers_ones_most_used_emoji_then_the_usual_ones(message, lobby, alice, bob):
    assert [emoji for emoji, _ in Reaction.objects.palette_for(bob)] == DEFAULT_PALETTE
    other = Message.objects.post(lobby, alice, "another")
    for target in (message, other):
        target.toggle_reaction(bob, "🦆")
    message.toggle_reaction(bob, "👀")
    palette = Reaction.objects.palette_for(bob)
    assert palette[:2] == [("🦆", "duck"), ("👀", "eyes")] and len(palette) == 8
    assert [emoji for emoji, _ in palette[2:]] == [e for e in DEFAULT_PALETTE if e != "👀"][:6]


def test_showing_reactions_costs_the_same_queries_for_any_number_of_messages(
    lobby, alice, bob, carol, django_assert_max_num_queries, settings
):
    settings.CHAT_RATE_LIMIT_MESSAGES = 0
    for n in range(20):
        posted = Message.objects.post(lobby, alice, f"m{n}", reply_to=None)
        for person in (alice, bob, carol):
            posted.toggle_reaction(person, "👍")
    with django_assert_max_num_queries(4):
        messages = lobby.history_page()[0]
        assert sum(group.count for m in messages for group in m.reaction_groups) == 60
