"""manage.py export writes Slack's layout; imported into an empty install,
it gives the same history."""

import json
import zipfile
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from accounts.models import Invitation, Profile
from accounts.names import display_name
from files.models import Attachment
from rooms.models import Message, Room, conversation_between
from transfer.models import SlackId

from .conftest import png_bytes

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def team(settings, lobby):
    """A team's history made the ways people make it: posts, replies (to a
    reply, and to a message deleted since), an edit, reactions, mentions,
    files, a private and an archived room, direct conversations, and
    someone deactivated since."""
    settings.CHAT_RATE_LIMIT_MESSAGES = 1000
    alice, bob, carol, dave = (
        User.objects.create_user(name, password=f"pw-{name}-123", first_name=name.title())
        for name in ("alice", "bob", "carol", "dave")
    )
    Profile.objects.create(user=alice, display_name="Ali")
    dev = Room.objects.create(name="Dev team", slug="dev", topic="Shipping")
    secret = Room.objects.create(name="Secret plans", slug="secret", is_private=True)
    secret.members.set([alice, bob])
    old = Room.objects.create(name="Old", slug="old")
    Message.objects.post(lobby, alice, "Hello everyone")
    hello = Message.objects.post(
        dev,
        alice,
        "Hi @bob: **bold**, _em_, ~~gone~~, `*code*`, 1 < 2 & 3 > 2, https://example.com/x?a=1&b=2 and :tada:",
    )
    answer = Message.objects.post(dev, bob, "Thanks @alice!", reply_to=hello.pk)
    Message.objects.post(dev, carol, "Replying to a reply", reply_to=answer.pk)
    doomed = Message.objects.post(dev, dave, "To be deleted")
    Message.objects.post(dev, carol, "About the deleted one", reply_to=doomed.pk)
    doomed.delete()
    typo = Message.objects.post(dev, bob, "teh plan")
    typo.edit(bob, "the plan")
    hello.toggle_reaction(bob, "👍")
    hello.toggle_reaction(carol, "👍🏽")
    answer.toggle_reaction(alice, "🎉")
    Attachment.objects.post(
        dev,
        alice,
        "Files",
        [
            SimpleUploadedFile("chart.png", png_bytes(), content_type="image/png"),
            SimpleUploadedFile("notes v2.txt", b"plain notes\n", content_type="text/plain"),
        ],
    )
    Message.objects.post(secret, bob, "Private to @alice")
    Message.objects.post(old, alice, "Before the archive")
    old.set_archived(True)
    direct = conversation_between(alice, [bob])[0]
    Message.objects.post(direct, alice, "Just us two")
    group = conversation_between(alice, [bob, carol])[0]
    Message.objects.post(group, carol, "The three of us")
    Message.objects.post(lobby, dave, "Bye all")
    dave.is_active = False
    dave.save()


def history():
    """Everything a reader sees of every room, by the room's name or its people."""
    seen = {}
    for room in Room.objects.prefetch_related("members"):
        messages = (
            room.messages.order_by("pk")
            .select_related("author", "reply_to")
            .prefetch_related("reactions__user", "attachments", "mentions")
        )
        seen[room.name or ", ".join(room.participant_names)] = {
            "topic": room.topic,
            "private": room.is_private,
            "archived": room.is_archived,
            "messages": [
                (
                    # An import marks the deactivated as such (asserted apart).
                    m.author.username,
                    display_name(m.author).removesuffix(" (deactivated)"),
                    m.text,
                    m.created_at,
                    m.edited_at,
                    (m.reply_to.text if m.reply_to else "deleted") if m.is_reply else None,
                    sorted((r.user.username, r.emoji) for r in m.reactions.all()),
                    [(a.name, a.content_type, a.is_image) for a in m.attachments.all()],
                    sorted(p.username for p in m.mentions.all()),
                )
                for m in messages
            ],
        }
    return seen


def empty_the_install():
    """What a new install has: nothing but its (empty) lobby."""
    Message.objects.all().delete()
    Room.objects.exclude(slug="lobby").delete()
    Room.objects.filter(slug="lobby").update(name="Lobby", topic="")
    User.objects.all().delete()
    SlackId.objects.all().delete()


def export(tmp_path, *args):
    out = StringIO()
    path = tmp_path / "export.zip"
    call_command("export", "--output", str(path), *args, stdout=out)
    return path, out.getvalue()


def test_an_export_imported_into_an_empty_install_gives_the_same_history(team, tmp_path):
    before = history()
    path, output = export(tmp_path)
    assert "6 rooms and conversations, 12 messages, 2 files" in output
    empty_the_install()
    call_command("import_slack", str(path), stdout=StringIO(), stderr=StringIO())
    assert history() == before
    assert [m.text for m in Room.objects.get(slug="lobby").messages.order_by("pk")] == ["Hello everyone", "Bye all"]
    assert display_name(User.objects.get(username="dave")) == "Dave (deactivated)"
    # Everyone claims their account again; dave, deactivated, does not.
    assert sorted(Invitation.objects.values_list("account__username", flat=True)) == ["alice", "bob", "carol"]


def test_the_layout_is_slacks(team, tmp_path):
    path, _ = export(tmp_path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        users = {user["name"]: user for user in json.loads(archive.read("users.json"))}
        channels = json.loads(archive.read("channels.json"))
        dms, mpims = json.loads(archive.read("dms.json")), json.loads(archive.read("mpims.json"))
        day = next(name for name in names if name.startswith("Dev team/"))
        messages = json.loads(archive.read(day))
    assert {"users.json", "channels.json", "groups.json", "dms.json", "mpims.json"} <= names
    assert users["dave"]["deleted"] and not users["alice"]["deleted"]
    assert [(c["name"], c["is_archived"], c["topic"]["value"]) for c in channels] == [
        ("Lobby", False, "Say hello: everyone can read this room."),
        ("Dev team", False, "Shipping"),
        ("Old", True, ""),
    ]
    assert len(dms) == 1 and len(dms[0]["members"]) == 2 and mpims[0]["name"] == "mpdm-alice--bob--carol-1"
    hello = messages[0]
    assert hello["text"].startswith(f"Hi <@{users['bob']['id']}>: *bold*, _em_, ~gone~, `*code*`, 1 &lt; 2 &amp; 3")
    assert hello["thread_ts"] == hello["ts"] and messages[1]["thread_ts"] == hello["ts"]
    assert {r["name"]: r["count"] for r in hello["reactions"]} == {"+1": 1, "+1::skin-tone-4": 1}
    files = next(m for m in messages if m.get("files"))["files"]
    assert [f["title"] for f in files] == ["chart.png", "notes v2.txt"]
    assert all(f"__uploads/{f['id']}/{f['name']}" in names for f in files)


def test_one_room_alone(team, tmp_path):
    path, output = export(tmp_path, "--room", "secret")
    assert "1 rooms and conversations, 1 messages" in output
    with zipfile.ZipFile(path) as archive:
        assert json.loads(archive.read("channels.json")) == [] and len(json.loads(archive.read("groups.json"))) == 1
        assert sorted(user["name"] for user in json.loads(archive.read("users.json"))) == ["alice", "bob"]


def test_an_unknown_room_or_an_existing_file_is_refused(team, tmp_path):
    with pytest.raises(CommandError, match="No room has the slug 'nope'"):
        export(tmp_path, "--room", "nope")
    (tmp_path / "export.zip").write_bytes(b"precious")
    with pytest.raises(CommandError, match="exists already"):
        export(tmp_path)
    assert (tmp_path / "export.zip").read_bytes() == b"precious"
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".partial")] == []
