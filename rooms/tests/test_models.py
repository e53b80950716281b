from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core import limits
from rooms import flood
from rooms.models import Message, ReadMark, Room

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(monkeypatch):
    """The messages handed to the broadcast path during a test."""
    calls = []
    monkeypatch.setattr("rooms.broadcasts.message_posted", lambda message: calls.append(message))
    return calls


@pytest.mark.django_db  # no flush: the data migration's rows are still there
def test_lobby_exists_after_migrations():
    lobby = Room.objects.get(slug="lobby")
    assert not lobby.is_private and not lobby.is_archived


def test_ensure_lobby_recreates_a_deleted_lobby():
    Room.objects.filter(slug="lobby").delete()
    room, created = Room.objects.ensure_lobby()
    assert created and room.slug == "lobby"
    assert Room.objects.ensure_lobby() == (room, False)


def test_visible_to_public_and_member_rooms_only(alice, bob, private_room, lobby):
    Room.objects.create(name="Other secret", slug="other", is_private=True).members.add(bob)
    assert set(Room.objects.visible_to(alice).values_list("slug", flat=True)) == {"lobby", "secret"}
    assert set(Room.objects.visible_to(bob).values_list("slug", flat=True)) == {"lobby", "other"}


def test_visible_to_lists_a_room_once_with_several_members(alice, bob, private_room):
    private_room.members.add(bob)
    assert list(Room.objects.visible_to(alice).filter(slug="secret")) == [private_room]


def test_anonymous_sees_no_rooms(lobby):
    from django.contrib.auth.models import AnonymousUser

    assert not Room.objects.visible_to(AnonymousUser()).exists()
    assert not lobby.is_visible_to(AnonymousUser())


def test_is_visible_to(alice, bob, private_room, lobby):
    assert private_room.is_visible_to(alice)
    assert not private_room.is_visible_to(bob)
    assert lobby.is_visible_to(bob)


def test_latest_messages_are_the_last_n_oldest_first(lobby, alice, sent, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 0
    for n in range(60):
        Message.objects.post(lobby, alice, f"message {n}")
    latest = lobby.history_page()[0]
    assert len(latest) == 50
    assert [m.text for m in latest] == [f"message {n}" for n in range(10, 60)]
    assert [m.text for m in lobby.history_page(limit=3)[0]] == ["message 57", "message 58", "message 59"]


def test_post_saves_and_broadcasts_once(lobby, alice, sent):
    message = Message.objects.post(lobby, alice, "hi")
    assert Message.objects.get().text == "hi"
    assert sent == [message]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_post_refuses_blank_text(lobby, alice, sent, text):
    with pytest.raises(ValidationError, match="Type a message"):
        Message.objects.post(lobby, alice, text)
    assert not Message.objects.exists() and sent == []


def test_post_refuses_over_length(lobby, alice, sent, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 10
    Message.objects.post(lobby, alice, "x" * 10)
    with pytest.raises(ValidationError, match="limited to 10 characters"):
        Message.objects.post(lobby, alice, "x" * 11)
    assert Message.objects.count() == 1 and len(sent) == 1


def test_post_refuses_non_text(lobby, alice, sent):
    with pytest.raises(ValidationError):
        Message.objects.post(lobby, alice, 42)
    assert sent == []


def test_post_refuses_archived_room(archived_room, alice, sent):
    with pytest.raises(PermissionDenied, match="archived"):
        Message.objects.post(archived_room, alice, "hello?")
    assert not Message.objects.exists() and sent == []


def test_post_refuses_non_member_of_private_room(private_room, bob, sent):
    with pytest.raises(PermissionDenied):
        Message.objects.post(private_room, bob, "let me in")
    assert not Message.objects.exists() and sent == []


def test_post_keeps_text_as_typed(lobby, alice, sent):
    text = "  <b>bold</b> & {{ x }}  "
    assert Message.objects.post(lobby, alice, text).text == text


def test_post_saves_emoji_shortcodes_as_emoji_outside_code(lobby, alice, sent):
    message = Message.objects.post(lobby, alice, "shipped :tada: with `:tada:` in code")
    assert Message.objects.get(pk=message.pk).text == "shipped 🎉 with `:tada:` in code"
    assert sent == [message] and "shipped 🎉" in message.body_html


def test_a_text_over_the_limit_only_as_shortcodes_is_accepted(lobby, alice, sent, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 10
    assert Message.objects.post(lobby, alice, "ok :tada: :+1:").text == "ok 🎉 👍"


def test_flood_control_counts_per_user(lobby, alice, bob, sent, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 2
    settings.CHAT_RATE_LIMIT_SECONDS = 60
    Message.objects.post(lobby, alice, "1")
    Message.objects.post(lobby, alice, "2")
    with pytest.raises(flood.FloodError, match="too quickly"):
        Message.objects.post(lobby, alice, "3")
    Message.objects.post(lobby, bob, "bob is fine")
    assert list(Message.objects.values_list("text", flat=True)) == ["1", "2", "bob is fine"]


def test_invalid_messages_do_not_use_up_the_flood_allowance(lobby, alice, sent, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 1
    settings.CHAT_RATE_LIMIT_SECONDS = 60
    with pytest.raises(ValidationError):
        Message.objects.post(lobby, alice, " ")
    Message.objects.post(lobby, alice, "real one")


@pytest.fixture
def clock(monkeypatch, settings):
    """Flood control's clock, at the start of a 60 s window; limit 2."""
    settings.CHAT_RATE_LIMIT_MESSAGES = 2
    settings.CHAT_RATE_LIMIT_SECONDS = 60
    now = [60 * 30_000_000]
    monkeypatch.setattr(limits, "time", SimpleNamespace(time=lambda: now[0]))
    return now


def test_a_burst_split_by_a_window_boundary_is_still_refused(lobby, alice, sent, clock):
    clock[0] += 59
    Message.objects.post(lobby, alice, "1")
    Message.objects.post(lobby, alice, "2")
    clock[0] += 2  # one second into the next window
    with pytest.raises(flood.FloodError):
        Message.objects.post(lobby, alice, "3")
    clock[0] += 58  # the burst is most of a window ago
    Message.objects.post(lobby, alice, "3")


def test_refused_messages_do_not_prolong_the_wait(lobby, alice, sent, clock):
    Message.objects.post(lobby, alice, "1")
    Message.objects.post(lobby, alice, "2")
    for _ in range(3):
        with pytest.raises(flood.FloodError):
            Message.objects.post(lobby, alice, "impatient")
    clock[0] += 90  # the sliding window holds half of the first one: 1 of 2
    Message.objects.post(lobby, alice, "3")
    assert list(Message.objects.values_list("text", flat=True)) == ["1", "2", "3"]


def test_a_resend_at_the_flood_limit_gets_the_saved_message_not_a_refusal(lobby, alice, sent, clock):
    first = Message.objects.post(lobby, alice, "1", client_id="c-1")
    Message.objects.post(lobby, alice, "2", client_id="c-2")
    # The page reconnected and sends "1" again: it was saved, so it stands.
    assert Message.objects.post(lobby, alice, "1", client_id="c-1") == first
    with pytest.raises(flood.FloodError):
        Message.objects.post(lobby, alice, "3", client_id="c-3")
    assert [m.text for m in sent] == ["1", "2"]


def test_broadcast_waits_for_commit(lobby, alice, sent):
    from django.db import transaction

    with transaction.atomic():
        Message.objects.post(lobby, alice, "in a transaction")
        assert sent == []
    assert [m.text for m in sent] == ["in a transaction"]


def test_rolled_back_message_is_never_broadcast(lobby, alice, sent):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 (the raise rolls back)
        Message.objects.post(lobby, alice, "never happened")
        raise RuntimeError
    assert sent == [] and not Message.objects.exists()


def test_group_name_comes_from_the_pk(lobby):
    assert lobby.group_name == f"room.{lobby.pk}"


# --- editing and deleting ----------------------------------------------------------


@pytest.fixture
def edits(monkeypatch):
    """The messages handed to the broadcast path as edited during a test."""
    calls = []
    monkeypatch.setattr("rooms.broadcasts.message_edited", lambda message: calls.append((message.pk, message.text)))
    return calls


@pytest.fixture
def deletions(monkeypatch):
    calls = []
    monkeypatch.setattr("rooms.broadcasts.messages_deleted", lambda group, pks: calls.append((group, pks)))
    return calls


def backdate(message, seconds):
    from datetime import timedelta

    Message.objects.filter(pk=message.pk).update(created_at=message.created_at - timedelta(seconds=seconds))
    message.refresh_from_db()


def test_author_edits_within_the_window(lobby, alice, sent, edits, settings):
    settings.CHAT_EDIT_WINDOW_SECONDS = 900
    message = Message.objects.post(lobby, alice, "helo")
    backdate(message, 899)
    message.edit(alice, "hello")
    stored = Message.objects.get(pk=message.pk)
    assert (stored.text, stored.revision) == ("hello", 1) and stored.edited_at is not None
    assert edits == [(message.pk, "hello")]
    message.edit(alice, "hello!")
    assert Message.objects.get(pk=message.pk).revision == 2


def test_edit_window_closes(lobby, alice, sent, edits, settings):
    settings.CHAT_EDIT_WINDOW_SECONDS = 900
    message = Message.objects.post(lobby, alice, "too late")
    backdate(message, 901)
    with pytest.raises(PermissionDenied, match="15 minutes"):
        message.edit(alice, "changed")
    assert Message.objects.get(pk=message.pk).text == "too late" and edits == []


def test_only_the_author_edits(lobby, alice, bob, sent, edits, django_user_model):
    message = Message.objects.post(lobby, alice, "mine")
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    for other in (bob, staff):
        with pytest.raises(PermissionDenied, match="your own"):
            message.edit(other, "not yours")
    assert Message.objects.get(pk=message.pk).text == "mine" and edits == []


@pytest.mark.parametrize("text", ["", "   ", 42, "x" * 2001])
def test_edit_validates_like_a_new_message(lobby, alice, sent, edits, text):
    message = Message.objects.post(lobby, alice, "fine")
    with pytest.raises(ValidationError):
        message.edit(alice, text)
    assert Message.objects.get(pk=message.pk).revision == 0 and edits == []


def test_an_edit_saves_emoji_shortcodes_as_emoji(lobby, alice, sent, edits):
    message = Message.objects.post(lobby, alice, "done")
    message.edit(alice, "done :white_check_mark:")
    assert Message.objects.get(pk=message.pk).text == "done ✅" and edits == [(message.pk, "done ✅")]
    # Saving the same text again, shortcode or emoji, changes nothing.
    message.edit(alice, "done :white_check_mark:")
    assert Message.objects.get(pk=message.pk).revision == 1


def test_unchanged_edit_changes_nothing(lobby, alice, sent, edits):
    message = Message.objects.post(lobby, alice, "same")
    message.edit(alice, "same")
    assert Message.objects.get(pk=message.pk).revision == 0 and edits == []


def test_no_edits_in_an_archived_room(lobby, alice, sent, edits):
    message = Message.objects.post(lobby, alice, "before")
    lobby.set_archived(True)
    with pytest.raises(PermissionDenied, match="archived"):
        message.edit(alice, "after")


def test_edits_count_against_flood_control(lobby, alice, sent, edits, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 2
    message = Message.objects.post(lobby, alice, "one")
    message.edit(alice, "two")
    with pytest.raises(flood.FloodError):
        message.edit(alice, "three")


def test_revised_since_returns_edits_a_page_has_not_seen(lobby, alice, sent, edits):
    first, second, third = (Message.objects.post(lobby, alice, text) for text in ("a", "b", "c"))
    first.edit(alice, "a2")
    second.edit(alice, "b2")
    second.edit(alice, "b3")
    shown = {first.pk: 1, second.pk: 1, third.pk: 0}
    assert [m.text for m in Message.objects.revised_since(lobby, shown)] == ["b3"]


def test_author_deletes_any_time(lobby, alice, sent, deletions, settings):
    message = Message.objects.post(lobby, alice, "regret")
    backdate(message, settings.CHAT_EDIT_WINDOW_SECONDS * 10)
    message.delete_by(alice)
    assert not Message.objects.exists()
    assert deletions == [(lobby.group_name, [message.pk])]


def test_staff_delete_anyones_message_others_do_not(lobby, alice, bob, sent, deletions, django_user_model):
    message = Message.objects.post(lobby, alice, "spam")
    with pytest.raises(PermissionDenied, match="your own"):
        message.delete_by(bob)
    assert Message.objects.exists() and deletions == []
    message.delete_by(django_user_model.objects.create_user("mod", is_staff=True))
    assert not Message.objects.exists()


def test_authors_cannot_delete_in_archived_rooms_but_staff_can(lobby, alice, sent, deletions, django_user_model):
    message = Message.objects.post(lobby, alice, "history")
    lobby.set_archived(True)
    with pytest.raises(PermissionDenied, match="archived"):
        message.delete_by(alice)
    message.delete_by(django_user_model.objects.create_user("mod", is_staff=True))
    assert not Message.objects.exists()


# --- mentions ----------------------------------------------------------------


def mentioned_names(message):
    return sorted(user.username for user in message.mentions.all())


def test_post_records_who_is_mentioned_among_active_users(lobby, alice, bob, django_user_model, sent):
    django_user_model.objects.create_user("carol", is_active=False)
    message = Message.objects.post(lobby, alice, "@bob, @carol and @nobody: see `@alice`")
    assert mentioned_names(message) == ["bob"]
    assert list(bob.mentioned_in.all()) == [message]


def test_a_mention_typed_in_another_case_names_the_member(lobby, alice, bob, django_user_model, sent):
    assert mentioned_names(Message.objects.post(lobby, alice, "@Bob, @ALICE: hi")) == ["alice", "bob"]
    django_user_model.objects.create_user("Bob")
    assert mentioned_names(Message.objects.post(lobby, alice, "@Bob and @BOB")) == ["Bob"]


def test_in_a_private_room_only_members_can_be_mentioned(private_room, alice, bob, sent):
    assert mentioned_names(Message.objects.post(private_room, alice, "@bob @alice")) == ["alice"]
    private_room.members.add(bob)
    assert mentioned_names(Message.objects.post(private_room, alice, "@bob @alice")) == ["alice", "bob"]


def test_mentions_are_saved_before_the_broadcast_renders(lobby, alice, bob, monkeypatch):
    rendered = []
    monkeypatch.setattr("rooms.broadcasts.message_posted", lambda message: rendered.append(message.body_html))
    Message.objects.post(lobby, alice, "hi @bob")
    assert rendered == [f'hi <span class="mention" data-user-id="{bob.pk}">@bob</span>']


def test_a_refused_message_records_no_mentions(lobby, alice, bob, sent, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 5
    with pytest.raises(ValidationError):
        Message.objects.post(lobby, alice, "@bob is too long")
    assert not bob.mentioned_in.exists()


def test_refresh_mentions_follows_new_text(lobby, alice, bob, sent):
    message = Message.objects.post(lobby, alice, "hi @bob")
    message.text = "hi @alice"
    message.save()
    message.refresh_mentions()
    assert mentioned_names(message) == ["alice"]


def test_body_html_formats_the_escaped_text(lobby, alice, sent):
    message = Message.objects.post(lobby, alice, "<b>**hi**</b> https://x.test")
    assert message.body_html == (
        "&lt;b&gt;<strong>hi</strong>&lt;/b&gt; "
        '<a href="https://x.test" rel="noopener noreferrer nofollow" target="_blank">https://x.test</a>'
    )


def test_an_edit_recomputes_mentions_before_its_broadcast(lobby, alice, bob, monkeypatch, sent):
    rendered = []
    monkeypatch.setattr("rooms.broadcasts.message_edited", lambda message: rendered.append(message.body_html))
    message = Message.objects.post(lobby, alice, "hi @bob")
    message.edit(alice, "hi @alice")
    assert mentioned_names(message) == ["alice"]
    assert rendered == [f'hi <span class="mention" data-user-id="{alice.pk}">@alice</span>']


# --- the room list and unread counts ------------------------------------------------------


@pytest.fixture
def list_events(monkeypatch):
    """What the model layer hands to the room list's broadcast path."""
    events = []
    monkeypatch.setattr(
        "rooms.broadcasts.room_listed",
        lambda room, allowed, previously, excluded: events.append(("listed", room, allowed)),
    )
    monkeypatch.setattr("rooms.broadcasts.room_unlisted", lambda pk, allowed: events.append(("unlisted", pk)))
    monkeypatch.setattr(
        "rooms.broadcasts.room_activity",
        lambda message, allowed, mentioned: events.append(("activity", message, allowed, mentioned)),
    )
    monkeypatch.setattr("rooms.broadcasts.read_moved", lambda user_pk, room: events.append(("read", user_pk, room)))
    return events


def post_all(room, author, *texts):
    return [Message.objects.create(room=room, author=author, text=text) for text in texts]


def counts(user):
    return {room.slug: (room.unread, room.last_read, room.latest) for room in Room.objects.sidebar_for(user)}


def test_unread_counts_messages_by_others_after_the_last_read_one(lobby, alice, bob):
    first, _second, _third = post_all(lobby, bob, "one", "two", "three")
    post_all(lobby, alice, "mine")
    # Never opened: everything by others is unread.
    assert counts(alice)["lobby"][:2] == (3, None)
    ReadMark.objects.mark_read(alice, lobby, first.pk)
    assert counts(alice)["lobby"][:2] == (2, first.pk)
    assert counts(bob)["lobby"][0] == 1  # alice's message, for bob


def test_read_mark_never_moves_back(lobby, alice, bob, list_events):
    first, second = post_all(lobby, bob, "one", "two")
    assert ReadMark.objects.mark_read(alice, lobby, second.pk)
    assert not ReadMark.objects.mark_read(alice, lobby, first.pk)
    assert ReadMark.objects.get(user=alice, room=lobby).last_read == second.pk
    # Deleting the message read last does not make older ones unread again.
    Message.objects.filter(pk=second.pk).delete()
    assert ReadMark.objects.get(user=alice, room=lobby).last_read == second.pk
    assert counts(alice)["lobby"][0] == 0
    assert [event[0] for event in list_events] == ["read"]


def test_read_mark_cannot_run_ahead_of_the_messages(lobby, alice, bob):
    (only,) = post_all(lobby, bob, "one")
    ReadMark.objects.mark_read(alice, lobby, only.pk + 1000)
    assert ReadMark.objects.get(user=alice, room=lobby).last_read == only.pk
    later = post_all(lobby, bob, "written after")[0]
    assert counts(alice)["lobby"] == (1, only.pk, later.pk)


def test_read_mark_of_an_empty_room_or_another_rooms_message_is_ignored(lobby, alice, bob, list_events):
    other = Room.objects.create(name="Other", slug="other")
    (elsewhere,) = post_all(other, bob, "elsewhere")
    list_events.clear()  # the new room and its message were announced; marking read is what is tested
    assert not ReadMark.objects.mark_read(alice, lobby, elsewhere.pk)
    assert not ReadMark.objects.exists() and list_events == []


def test_read_mark_is_refused_for_a_room_the_user_cannot_see(private_room, alice, bob):
    (message,) = post_all(private_room, alice, "secret")
    with pytest.raises(PermissionDenied):
        ReadMark.objects.mark_read(bob, private_room, message.pk)
    assert not ReadMark.objects.exists()


def test_read_mark_tells_the_users_pages_their_new_counts(lobby, alice, bob, list_events):
    first, _second, third = post_all(lobby, bob, "one", "two", "three")
    ReadMark.objects.mark_read(alice, lobby, first.pk)
    [(kind, user_pk, room)] = list_events
    assert (kind, user_pk, room.pk) == ("read", alice.pk, lobby.pk)
    assert (room.last_read, room.unread, room.latest) == (first.pk, 2, third.pk)


def test_room_list_is_the_visible_rooms_by_name_ignoring_case(lobby, alice, bob, private_room):
    Room.objects.create(name="apples", slug="apples")
    Room.objects.create(name="Zebra", slug="zebra")
    assert [room.slug for room in Room.objects.sidebar_for(alice)] == ["apples", "lobby", "secret", "zebra"]
    assert [room.slug for room in Room.objects.sidebar_for(bob)] == ["apples", "lobby", "zebra"]


def test_room_changes_reach_the_room_lists_once_per_transaction(lobby, alice, list_events):
    from django.db import transaction

    with transaction.atomic():
        lobby.is_private = True
        lobby.save()
        lobby.members.add(alice)
        lobby.set_archived(True)
        assert list_events == []
    [(kind, room, allowed)] = list_events
    assert (kind, room.pk, room.is_archived, allowed) == ("listed", lobby.pk, True, {alice.pk})
    lobby.delete()
    assert list_events[-1] == ("unlisted", room.pk)


def test_posting_tells_the_room_lists_who_may_count_it(lobby, private_room, alice, list_events):
    in_lobby = Message.objects.post(lobby, alice, "for everyone")
    in_private = Message.objects.post(private_room, alice, "for members")
    assert list_events == [("activity", in_lobby, None, []), ("activity", in_private, {alice.pk}, [])]


def test_deleted_messages_leave_the_counts_of_those_who_may_see_the_room(private_room, alice, bob, monkeypatch):
    gone = []
    monkeypatch.setattr(
        "rooms.broadcasts.room_messages_gone",
        lambda room_pk, messages, allowed: gone.append((room_pk, messages, allowed)),
    )
    private_room.members.add(bob)
    asking = Message.objects.post(private_room, bob, "@alice, a question")
    plain = Message.objects.post(private_room, bob, "never mind")
    kept = Message.objects.post(private_room, bob, "kept")
    Message.objects.exclude(pk=kept.pk).delete()
    ((room_pk, messages, allowed),) = gone
    assert room_pk == private_room.pk and allowed == {alice.pk, bob.pk}
    assert sorted(messages, key=lambda message: message["pk"]) == [
        {"pk": asking.pk, "author_id": bob.pk, "mentioned": [alice.pk]},
        {"pk": plain.pk, "author_id": bob.pk, "mentioned": []},
    ]
    assert counts(alice)["secret"][0] == 1


def test_mentions_of_the_user_after_the_last_read_one_are_counted_apart(lobby, alice, bob, list_events):
    read = Message.objects.post(lobby, bob, "@alice before")
    ReadMark.objects.mark_read(alice, lobby, read.pk)
    mention = Message.objects.post(lobby, bob, "hey @alice")
    Message.objects.post(lobby, bob, "no mention")
    [entry] = [room for room in Room.objects.sidebar_for(alice) if room.slug == "lobby"]
    assert (entry.unread, entry.mentions) == (2, 1)
    activity = [(message.pk, mentioned) for kind, message, _, mentioned in list_events[-2:]]
    assert activity == [(mention.pk, [alice.pk]), (mention.pk + 1, [])]


def test_a_member_removed_from_the_users_side_loses_the_entry_and_nobody_else_hears(
    private_room, alice, bob, monkeypatch
):
    listed = []
    monkeypatch.setattr(
        "rooms.broadcasts.room_listed",
        lambda room, allowed, previously, excluded: listed.append((room.pk, allowed, previously)),
    )
    private_room.members.add(bob)
    listed.clear()
    bob.private_rooms.remove(private_room)
    assert listed == [(private_room.pk, {alice.pk}, {alice.pk, bob.pk})]


# --- counts that stay bounded as the history grows ----------------------------------------


def post_many(room, author, count, text="hello"):
    return Message.objects.bulk_create(Message(room=room, author=author, text=text) for _ in range(count))


def mention_all(messages, user):
    Mention = Message.mentions.through
    Mention.objects.bulk_create(Mention(message=message, user=user) for message in messages)


def test_unread_and_mention_counts_stop_at_the_limit(lobby, alice, bob):
    from rooms.models import UNREAD_COUNT_LIMIT

    mention_all(post_many(lobby, bob, UNREAD_COUNT_LIMIT + 5, "@alice look"), alice)
    (room,) = Room.objects.filter(pk=lobby.pk).with_unread(alice)
    assert (room.unread, room.mentions) == (UNREAD_COUNT_LIMIT, UNREAD_COUNT_LIMIT)
    # Below the limit the counts are exact, from the read mark on.
    messages = list(lobby.messages.order_by("pk"))
    ReadMark.objects.mark_read(alice, lobby, messages[-4].pk)
    (room,) = Room.objects.filter(pk=lobby.pk).with_unread(alice)
    assert (room.unread, room.mentions) == (3, 3)


def test_mentions_count_the_users_newest_mentions_and_never_their_own_messages(lobby, alice, bob):
    from rooms.models import UNREAD_COUNT_LIMIT

    other = Room.objects.create(name="Other", slug="other")
    mention_all(post_many(lobby, bob, 2), alice)
    mention_all(post_many(lobby, alice, 1), alice)  # alice naming herself
    assert counts_of(alice)["lobby"] == (2, 2)
    # A mention older than the user's newest UNREAD_COUNT_LIMIT mentions
    # elsewhere no longer counts: the list looks no further back.
    mention_all(post_many(other, bob, UNREAD_COUNT_LIMIT), alice)
    assert counts_of(alice) == {"lobby": (2, 0), "other": (UNREAD_COUNT_LIMIT, UNREAD_COUNT_LIMIT)}


def counts_of(user):
    return {room.slug: (room.unread, room.mentions) for room in Room.objects.sidebar_for(user)}
