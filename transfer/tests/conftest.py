"""A Slack workspace export written by the tests, as Slack lays one out
(users.json, channels.json, groups.json, dms.json, mpims.json, a folder of
daily JSON per conversation) with the files in __uploads/ as Mattermost's
exporter adds them."""

import io
import json
import zipfile

import pytest
from PIL import Image

# 2024-03-01 09:00:00 UTC and on: each message a minute after the one before.
T0 = 1709283600


def ts(minutes, micro=0):
    return f"{T0 + 60 * minutes}.{micro:06d}"


def png_bytes(width=40, height=30, colour=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def write_zip(path, members):
    """members: {name: bytes, or anything JSON}."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content if isinstance(content, bytes) else json.dumps(content))
    return path


def user(slack_id, name, real_name, email="", display_name="", **extra):
    return {
        "id": slack_id,
        "name": name,
        "real_name": real_name,
        "deleted": False,
        "profile": {"real_name": real_name, "display_name": display_name, "email": email},
        **extra,
    }


def channel(slack_id, name, members, topic="", purpose="", archived=False):
    return {
        "id": slack_id,
        "name": name,
        "created": T0 - 86400,
        "creator": "U1",
        "is_archived": archived,
        "is_general": name == "general",
        "members": members,
        "topic": {"value": topic, "creator": "U1", "last_set": 0},
        "purpose": {"value": purpose, "creator": "U1", "last_set": 0},
    }


def message(user_id, minutes, text, **extra):
    return {"type": "message", "user": user_id, "text": text, "ts": ts(minutes), **extra}


LONG_TEXT = ("word " * 300).strip() + "\n" + ("more " * 200).strip()  # 2,499 characters on two lines


def workspace():
    """The members of a small workspace's export: every kind of conversation
    and of message the importer handles, and some it skips."""
    users = [
        user("U1", "alice", "Alice Archer", "alice@example.com", display_name="Ali"),
        user("U2", "bob", "Bob Baker", "bob@example.com"),
        user("U3", "carol", "Carol Cole"),
        {**user("U4", "dave", "Dave Dunn", "dave@example.com", display_name="Dave"), "deleted": True},
        {**user("U5", "helper", "Helper Bot"), "is_bot": True, "profile": {"real_name": "Helper Bot", "bot_id": "B5"}},
    ]
    general = [
        message(
            "U1",
            0,
            "Hello <@U2>, *welcome* to <#C1|general>! See <https://example.com/docs|the docs> "
            "and <https://example.com>. 1 &lt; 2 &amp;&amp; 3 &gt; 2 :tada:",
            thread_ts=ts(0),
            reply_count=2,
            reactions=[
                {"name": "+1", "users": ["U2", "U3"], "count": 2},
                {"name": "+1::skin-tone-4", "users": ["U4"], "count": 1},
                {"name": "partyparrot", "users": ["U2"], "count": 1},
            ],
        ),
        {
            "type": "message",
            "subtype": "channel_join",
            "user": "U3",
            "text": "<@U3> has joined the channel",
            "ts": ts(1),
        },
        message(
            "U2", 2, "Thanks! ~old~ news", thread_ts=ts(0), parent_user_id="U1", edited={"user": "U2", "ts": ts(3)}
        ),
        message("U3", 4, "<!here> the build is green", thread_ts=ts(0), parent_user_id="U1"),
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B9",
            "username": "deploy-bot",
            "text": "Deployed `v1.2` to production",
            "ts": ts(5),
        },
        message("U5", 6, "I am a bot user in users.json"),
        message("U4", 7, "A message from someone who left"),
        message(
            "U1",
            8,
            "The report",
            files=[
                {"id": "F1", "name": "chart.png", "title": "chart.png", "mimetype": "image/png", "size": 100},
                {"id": "F2", "name": "notes.pdf", "title": "notes.pdf", "mimetype": "application/pdf", "size": 100},
            ],
            upload=True,
        ),
        message("U2", 9, LONG_TEXT),
        message("U9", 10, "Someone from another workspace"),
    ]
    secret = [message("U1", 20, "Private plans for <@U2>"), message("U2", 21, "Agreed")]
    old = [message("U1", 30, "This channel is archived")]
    direct = [message("U1", 40, "Hi Bob, a direct message"), message("U2", 41, "Hi Alice")]
    group = [
        message("U3", 50, "A group conversation of three"),
        message(
            "U1",
            51,
            "",
            files=[{"id": "F3", "name": "photo.png", "title": "photo.png", "mimetype": "image/png", "size": 100}],
        ),
    ]
    return {
        "users.json": users,
        "channels.json": [
            channel("C1", "general", ["U1", "U2", "U3", "U4"], topic="Company-wide", purpose="Announcements"),
            channel("C2", "old-news", ["U1"], purpose="Gone quiet", archived=True),
        ],
        "groups.json": [channel("G1", "secret", ["U1", "U2"], topic="Just us")],
        "dms.json": [{"id": "D1", "created": T0, "members": ["U1", "U2"]}],
        "mpims.json": [{**channel("G2", "mpdm-alice--bob--carol-1", ["U1", "U2", "U3"]), "is_mpim": True}],
        "general/2024-03-01.json": general,
        "secret/2024-03-01.json": secret,
        "old-news/2024-03-01.json": old,
        "D1/2024-03-01.json": direct,
        "mpdm-alice--bob--carol-1/2024-03-01.json": group,
        "__uploads/F1/chart.png": png_bytes(),
        "__uploads/F3/photo.png": png_bytes(colour=(30, 30, 200)),
        "integration_logs.json": [],
    }


@pytest.fixture
def export_zip(tmp_path):
    return write_zip(tmp_path / "slack-export.zip", workspace())


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Files are stored in a folder of each test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
