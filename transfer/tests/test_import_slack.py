"""manage.py import_slack: a Slack export written by the tests (conftest.py)
becomes the people, rooms, conversations and history Slack had."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from accounts.models import Invitation
from accounts.names import display_name
from files.models import Attachment
from rooms.models import Message, Reaction, ReadMark, Room
from search.engine import search
from search.query import parse
from transfer.models import SlackId

from .conftest import LONG_TEXT, T0, message, workspace, write_zip

pytestmark = pytest.mark.django_db
User = get_user_model()


def run_import(path, *args):
    out = StringIO()
    call_command("import_slack", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def at(minutes):
    return datetime.fromtimestamp(T0 + 60 * minutes, UTC)


def history(room):
    return list(room.messages.order_by("pk").select_related("author", "reply_to"))


def test_people_come_as_inactive_accounts_named_as_in_slack(export_zip):
    run_import(export_zip)
    alice = User.objects.get(username="alice")
    assert alice.get_full_name() == "Alice Archer" and alice.email == "alice@example.com"
    assert not alice.is_active and not alice.has_usable_password()
    # The name shown is the display name they chose in Slack, else their full name.
    assert display_name(alice) == "Ali" and display_name(User.objects.get(username="bob")) == "Bob Baker"
    dave = User.objects.get(username="dave")
    assert (dave.get_full_name(), display_name(dave)) == ("Dave Dunn (deactivated)", "Dave (deactivated)")
    assert User.objects.get(username="helper").get_full_name() == "Helper Bot"
    # A bot without a user, and someone users.json does not list, get an account of their own.
    assert User.objects.filter(username="deploy-bot", is_active=False).exists()
    assert User.objects.get(username="u9").get_full_name() == "Slack user U9"
    assert SlackId.objects.filter(kind=SlackId.PERSON).count() == 6


def test_usernames_are_valid_and_never_imitate_someone_here(tmp_path, django_user_model):
    django_user_model.objects.create_user("Alice", password="pw-alice-123")
    members = {
        "users.json": [
            {"id": "U1", "name": "alice", "profile": {"real_name": "Alice Other"}},
            {"id": "U2", "name": "ａｌｉｃｅ", "profile": {}},
            {"id": "U3", "name": "bob smith@home.", "profile": {}},
            {"id": "U4", "name": "@@@", "real_name": "", "profile": {}},
        ],
        "channels.json": [],
    }
    run_import(write_zip(tmp_path / "export.zip", members))
    names = dict(SlackId.objects.filter(kind=SlackId.PERSON).values_list("slack_id", "object_id"))
    usernames = {slack_id: User.objects.get(pk=pk).username for slack_id, pk in names.items()}
    assert usernames == {"U1": "alice2", "U2": "alice3", "U3": "bob.smithhome", "U4": "user"}


def test_channels_become_rooms_and_direct_messages_conversations(export_zip):
    run_import(export_zip)
    # Slack's #general is the lobby a new install starts with (it was empty).
    general = Room.objects.get(name="general")
    assert (general.slug, general.topic, general.is_private, general.is_archived) == (
        "lobby",
        "Company-wide",
        False,
        False,
    )
    assert not Room.objects.filter(name="Lobby").exists()
    assert set(general.members.values_list("username", flat=True)) == {"alice", "bob", "carol", "dave"}
    secret = Room.objects.get(name="secret")
    assert secret.is_private and set(secret.members.values_list("username", flat=True)) == {"alice", "bob"}
    old = Room.objects.get(name="old-news")
    assert old.is_archived and old.topic == "Gone quiet"
    direct = Room.objects.filter(kind=Room.DIRECT)
    assert sorted(room.participant_names for room in direct) == [("alice", "bob"), ("alice", "bob", "carol")]
    assert [m.text for m in history(direct.get(direct_key__regex=r"^\d+-\d+$"))] == [
        "Hi Bob, a direct message",
        "Hi Alice",
    ]


def test_messages_keep_their_order_times_edits_replies_and_mentions(export_zip):
    run_import(export_zip)
    messages = history(Room.objects.get(name="general"))
    first = messages[0]
    assert first.author.username == "alice" and first.created_at == at(0)
    assert first.text == (
        "Hello @bob, **welcome** to #general! See the docs (https://example.com/docs) and "
        "https://example.com. 1 < 2 && 3 > 2 🎉"
    )
    assert list(first.mentions.values_list("username", flat=True)) == ["bob"]
    assert 'class="mention"' in first.body_html and "<strong>welcome</strong>" in first.body_html
    thanks, here = messages[1], messages[2]
    assert (thanks.text, thanks.reply_to, thanks.is_reply, thanks.edited_at) == (
        "Thanks! ~~old~~ news",
        first,
        True,
        at(3),
    )
    assert (here.text, here.reply_to, here.created_at) == ("@here the build is green", first, at(4))
    assert [(m.author.username, m.text) for m in messages[3:6]] == [
        ("deploy-bot", "Deployed `v1.2` to production"),
        ("helper", "I am a bot user in users.json"),
        ("dave", "A message from someone who left"),
    ]
    assert [m.created_at for m in messages] == sorted(m.created_at for m in messages)


def test_reactions_become_the_same_emoji(export_zip):
    run_import(export_zip)
    first = history(Room.objects.get(name="general"))[0]
    assert sorted(first.reactions.values_list("user__username", "emoji")) == [
        ("bob", "👍"),
        ("carol", "👍"),
        ("dave", "👍🏽"),
    ]


def test_a_message_longer_than_the_limit_is_split_at_a_line_break(export_zip, settings):
    run_import(export_zip)
    parts = Message.objects.filter(text__regex=r"^(word|more) ").order_by("pk")
    assert [len(part.text) for part in parts] == [len(LONG_TEXT.split("\n")[0]), len(LONG_TEXT.split("\n")[1])]
    assert all(len(part.text) <= settings.CHAT_MAX_MESSAGE_LENGTH for part in parts)
    assert "\n".join(part.text for part in parts) == LONG_TEXT


def test_files_in_the_export_are_stored_as_uploads_are(export_zip):
    output = run_import(export_zip)
    chart = Attachment.objects.get(name="chart.png")
    assert chart.message.text == "The report" and chart.is_image and (chart.width, chart.height) == (40, 30)
    with chart.preview.open("rb") as preview:
        assert preview.read(8) == b"\x89PNG\r\n\x1a\n"
    photo = Attachment.objects.get(name="photo.png")
    assert photo.message.text == "" and photo.message.room.is_direct
    assert "1 files not in the export" in output and "notes.pdf" in output


def test_the_report_says_what_was_skipped_and_why(export_zip):
    output = run_import(export_zip)
    assert "17 messages" in output and "2 replies" in output and "3 reactions" in output and "2 files" in output
    assert "1 messages longer than 2000 characters split into several" in output
    assert "Skipped (3):" in output
    assert "1 channel_join: joined or left (Slack's notice)" in output
    assert "1 reactions with an emoji the chat does not know (:partyparrot:)" in output
    assert "general/2024-03-01.json 1709283660.000000" in output


def test_importing_twice_changes_nothing(export_zip, media):
    run_import(export_zip)
    tables = (
        User,
        Room,
        Room.members.through,
        Message,
        Message.mentions.through,
        Reaction,
        Attachment,
        ReadMark,
        Invitation,
        SlackId,
    )
    before = {model: sorted(model.objects.values_list("pk", flat=True)) for model in tables}
    stored = sorted(path.name for path in media.rglob("*") if path.is_file())
    output = run_import(export_zip)
    assert {model: sorted(model.objects.values_list("pk", flat=True)) for model in tables} == before
    assert sorted(path.name for path in media.rglob("*") if path.is_file()) == stored
    assert "nothing new" in output and "16 messages imported by an earlier run" in output


def test_a_later_export_adds_only_what_is_new(tmp_path):
    members = workspace()
    run_import(write_zip(tmp_path / "first.zip", members))
    members["general/2024-03-02.json"] = [message("U2", 60 * 24, "Late reply", thread_ts=f"{T0}.000000")]
    run_import(write_zip(tmp_path / "second.zip", members))
    late = Message.objects.get(text="Late reply")
    assert late.reply_to.text.startswith("Hello @bob") and Message.objects.count() == 18


def test_imported_people_have_read_the_history_and_search_finds_it(export_zip):
    run_import(export_zip)
    bob = User.objects.get(username="bob")
    bob.is_active = True
    bob.save()
    # Every room they were in; a public channel they never joined (old-news) is news to them.
    assert {room.name or room.participant_names: room.unread for room in Room.objects.sidebar_for(bob)} == {
        "general": 0,
        "secret": 0,
        "old-news": 1,
        ("alice", "bob"): 0,
        ("alice", "bob", "carol"): 0,
    }
    found = search(bob, parse("welcome"))
    assert [result.message.text[:11] for result in found.results] == ["Hello @bob,"]


def test_nothing_is_broadcast_queued_or_emailed_while_importing(export_zip, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        run_import(export_zip)
    assert callbacks == [] and not DBTaskResult.objects.exists()


def test_a_refusal_names_the_problem_and_keeps_nothing(tmp_path):
    with pytest.raises(CommandError, match=r"is not a readable zip archive.*Nothing was imported"):
        run_import(tmp_path / "missing.zip")
    with pytest.raises(CommandError, match="--email needs CHAT_BASE_URL"):
        run_import(tmp_path / "missing.zip", "--email")


def test_a_progress_bar_on_a_terminal_and_nothing_elsewhere(export_zip, tmp_path):
    import os

    controller, terminal = os.openpty()
    with open(terminal, "w", closefd=True) as tty:
        call_command("import_slack", str(export_zip), stdout=StringIO(), stderr=tty)
    shown = os.read(controller, 65536).decode()
    os.close(controller)
    assert "Messages:   0%|" in shown and "B/s]" in shown
    quiet = StringIO()
    call_command("import_slack", str(write_zip(tmp_path / "again.zip", workspace())), stdout=StringIO(), stderr=quiet)
    assert quiet.getvalue() == ""


def test_general_is_a_room_of_its_own_when_the_lobby_has_history(export_zip, lobby, alice):
    Message.objects.post(lobby, alice, "We were here first")
    run_import(export_zip)
    assert Room.objects.get(slug="lobby").name == "Lobby"
    assert Room.objects.get(name="general").slug == "general"


def test_what_was_deleted_here_since_is_not_brought_back(tmp_path):
    members = workspace()
    run_import(write_zip(tmp_path / "first.zip", members))
    User.objects.get(username="carol").delete()
    Room.objects.get(name="secret").delete()
    members["general/2024-03-02.json"] = [
        message("U3", 60 * 24, "Carol again", reactions=[{"name": "tada", "users": ["U3", "U1"], "count": 2}])
    ]
    members["secret/2024-03-02.json"] = [message("U1", 60 * 24, "Secret again")]
    output = run_import(write_zip(tmp_path / "second.zip", members))
    again = Message.objects.get(text="Carol again")
    assert again.author is None and again.author_name == "deleted user"
    assert list(again.reactions.values_list("user__username", flat=True)) == ["alice"]
    assert not User.objects.filter(username="carol").exists() and not Room.objects.filter(name="secret").exists()
    assert "1 a conversation deleted here since it was imported" in output


def test_a_person_listed_twice_is_one_person(tmp_path):
    members = {**workspace()}
    members["users.json"] = members["users.json"] + [members["users.json"][0]]
    run_import(write_zip(tmp_path / "export.zip", members))
    assert User.objects.filter(username__startswith="alice").count() == 1
