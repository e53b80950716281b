"""An archive that is malformed or hostile is refused with a sentence that
says what is wrong and where, and nothing of it is kept: no row, no file."""

import stat
import zipfile
import zlib
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from files.models import Attachment
from rooms.models import Message, Room
from transfer import archive
from transfer.models import SlackId

from .conftest import workspace, write_zip

pytestmark = pytest.mark.django_db


def refused(path):
    with pytest.raises(CommandError) as refusal:
        call_command("import_slack", str(path), stdout=StringIO(), stderr=StringIO())
    return str(refusal.value)


@pytest.fixture
def nothing_kept(media, db):
    """After the test: no person, room, message, file or Slack id was kept."""
    rooms = list(Room.objects.values_list("pk", flat=True))  # the lobby every install starts with
    yield
    assert not get_user_model().objects.exists() and list(Room.objects.values_list("pk", flat=True)) == rooms
    assert not Message.objects.exists() and not Attachment.objects.exists() and not SlackId.objects.exists()
    assert not [path for path in media.rglob("*") if path.is_file()]


def with_member(tmp_path, name, content=b"[]", **info):
    """The workspace's export with one more member, written as given."""
    path = write_zip(tmp_path / "export.zip", workspace())
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zip_file:
        member = zipfile.ZipInfo(name)
        member.compress_type = zipfile.ZIP_DEFLATED
        for key, value in info.items():
            setattr(member, key, value)
        zip_file.writestr(member, content)
    return path


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("../../etc/cron.d/evil", "points outside the archive"),
        ("general/../../evil.json", "points outside the archive"),
        ("/etc/passwd", "has an absolute path"),
        ("C:/Windows/evil.dll", "has an absolute path"),
        ("..\\..\\evil.json", "has a backslash or NUL"),
    ],
)
def test_a_name_that_leaves_the_archive_is_refused(tmp_path, nothing_kept, name, says):
    message = refused(with_member(tmp_path, name))
    assert says in message and "Nothing was imported" in message


def test_a_symbolic_link_is_refused(tmp_path, nothing_kept):
    path = with_member(tmp_path, "general/link.json", b"/etc/passwd", external_attr=(stat.S_IFLNK | 0o777) << 16)
    assert "general/link.json is a symbolic link" in refused(path)


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path, nothing_kept):
    path = with_member(tmp_path, "general/2024-03-02.json", b"[" + b" " * (8 * 2**20) + b"]")
    assert "times its compressed size" in refused(path) and "zip bomb" in refused(path)


def test_a_member_larger_than_allowed_is_refused(tmp_path, nothing_kept, monkeypatch):
    monkeypatch.setattr(archive, "MAX_JSON_BYTES", 10_000)
    path = with_member(tmp_path, "general/2024-03-02.json", b"[" + b'{"text": "x"}, ' * 1000 + b"{}]")
    assert "general/2024-03-02.json would unpack to 15,004 bytes, more than the 10,000 allowed" in refused(path)


def test_a_member_that_inflates_past_its_declared_size_is_cut_at_it(tmp_path):
    """The directory says 3 bytes; the data inflates to 8 MiB: reading stops
    at 3 bytes (then fails on the checksum) instead of inflating it all."""
    path = write_zip(tmp_path / "export.zip", {"users.json": [], "channels.json": []})
    with zipfile.ZipFile(path, "a") as zip_file:
        member = zipfile.ZipInfo("lie.json")
        member.compress_type = zipfile.ZIP_DEFLATED
        zip_file.writestr(member, b"[" * (8 * 2**20))
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02")  # the last member's central directory entry: size at +24
    data[entry + 24 : entry + 28] = (3).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with archive.Archive(path) as opened, pytest.raises(zipfile.BadZipFile, match="Bad CRC"):
        opened.read("lie.json")


def test_broken_json_late_in_the_import_rolls_everything_back(tmp_path, nothing_kept):
    members = workspace()
    # Read last: by then people, rooms, messages and files of the others are written.
    members["mpdm-alice--bob--carol-1/2024-03-02.json"] = b'[{"type": "message", "ts": "1.0", '
    message = refused(write_zip(tmp_path / "export.zip", members))
    assert "mpdm-alice--bob--carol-1/2024-03-02.json is not valid JSON" in message


@pytest.mark.parametrize("missing", ["users.json", "channels.json"])
def test_an_archive_without_the_lists_of_people_and_channels_is_refused(tmp_path, nothing_kept, missing):
    members = workspace()
    del members[missing]
    assert f"this is not a Slack export: {missing} is missing" in refused(write_zip(tmp_path / "x.zip", members))


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ({"members": []}, "users.json should hold a JSON list, not a dict"),
        ([{"name": "no id"}], 'item 0 of users.json is not an object with an "id"'),
        (b"\xff\xfe not json", "users.json is not valid JSON"),
    ],
)
def test_lists_of_the_wrong_shape_are_refused(tmp_path, nothing_kept, content, says):
    members = {**workspace(), "users.json": content}
    assert says in refused(write_zip(tmp_path / "x.zip", members))


def test_two_members_of_one_name_are_refused(tmp_path, nothing_kept):
    path = write_zip(tmp_path / "export.zip", workspace())
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "a") as zip_file:
        zip_file.writestr("users.json", "[]")
    assert "two members named users.json" in refused(path)


def test_something_else_than_a_zip_is_refused(tmp_path, nothing_kept):
    path = tmp_path / "export.zip"
    path.write_bytes(zlib.compress(b"not a zip"))
    assert "is not a readable zip archive" in refused(path)
