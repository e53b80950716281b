"""The chat's history as a Slack export: `manage.py export` (a whole
install, or one room) and each person's "Download my data" (what they
wrote, their files and settings). docs/export.md describes the layout:

    users.json  channels.json  groups.json  dms.json  mpims.json
    <folder>/YYYY-MM-DD.json        one per conversation and day (UTC)
    __uploads/<file id>/<name>      the files
    settings.json, avatar.<ext>     a person's own archive only

Ids are the chat's own with Slack's first letters: U<pk> a person, C<pk>
a public room, G<pk> a private room or a group conversation, D<pk> a
conversation of two, F<pk> a file. A message's ts is its time (unique in
its conversation: one sent in the same microsecond as the previous, as the
parts of a message an import split are, is a microsecond later). A reply
has thread_ts, the ts of the message it answers (a reply to a deleted
message: "0.000000", which names none), and a message that has replies
has its own ts as thread_ts, as Slack's thread roots do.

Streamed: each conversation's messages are read in batches and written a
day at a time, files copied from storage in chunks, so an export's size
is bounded by the disk, not the memory.
"""

import json
import shutil
import zipfile
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch
from django.utils.functional import cached_property
from django.utils.text import get_valid_filename

from accounts.models import Profile
from accounts.names import PROFILE
from files.models import Attachment
from notifications.models import NotificationSettings
from rooms import shortcodes
from rooms.models import LOBBY_SLUG, Message, Reaction, Room

from .slack_text import to_slack

CHUNK = 2000
SKIN_TONE_MODIFIERS = {chr(0x1F3FB + n): n + 2 for n in range(5)}
# A reply whose original was deleted answers a ts no message has.
NO_MESSAGE = "0.000000"


def user_id(pk):
    return f"U{pk}"


def ts_of(when):
    stamp = when.astimezone(UTC)
    return f"{int(stamp.timestamp())}.{stamp.microsecond:06d}"


def epoch(when):
    return int(when.timestamp())


class ReactionNames:
    """The Slack name of an emoji: the package's alias where it has one
    ("+1", "tada"), a skin tone as Slack writes it ("+1::skin-tone-4")."""

    @cached_property
    def names(self):
        names = {}
        for name, emoji in shortcodes.table().items():
            names[emoji] = name  # the table lists names first, then aliases: the alias wins
        return names

    def __call__(self, emoji):
        tones = [SKIN_TONE_MODIFIERS[char] for char in emoji if char in SKIN_TONE_MODIFIERS]
        if tones:
            base = "".join(char for char in emoji if char not in SKIN_TONE_MODIFIERS)
            base = self.names.get(base) or self.names.get(base + "\ufe0f")
            if base:
                return f"{base}::skin-tone-{tones[0]}"
        return self.names.get(emoji, emoji)


class SlackWriter:
    """Writes conversations into an open zip (mode "w"), then, at finish(),
    the lists of people and conversations they need."""

    def __init__(self, archive, emails_of=None):
        self.archive = archive
        # Whose email addresses go into users.json: everyone's (None), or these pks'.
        self.emails_of = emails_of
        self.people = set()
        self.lists = {"channels.json": [], "groups.json": [], "dms.json": [], "mpims.json": []}
        self.folders = set()
        self.reaction_name = ReactionNames()
        self.counts = {"conversations": 0, "messages": 0, "files": 0}

    # --- conversations -------------------------------------------------------------------

    def conversation(self, room, messages, members):
        """Write `room`'s entry listing `members` (pks), and `messages` (a
        queryset of its messages) a day at a time."""
        self.people.update(members)
        self.counts["conversations"] += 1
        entry = {"id": self._room_id(room), "created": epoch(room.created_at), "members": sorted(map(user_id, members))}
        if room.is_direct and len(members) == 2:
            folder = entry["id"]
            self.lists["dms.json"].append(entry)
        else:
            folder = self._folder(room)
            entry.update(
                name=folder,
                creator="",
                is_archived=room.is_archived,
                topic={"value": room.topic, "creator": "", "last_set": 0},
                purpose={"value": "", "creator": "", "last_set": 0},
            )
            if room.is_direct:
                self.lists["mpims.json"].append(entry)
            else:
                entry["is_general"] = room.slug == LOBBY_SLUG
                self.lists["groups.json" if room.is_private else "channels.json"].append(entry)
        self._messages(folder, messages)

    def _room_id(self, room):
        if room.is_direct:
            return f"D{room.pk}" if room.direct_key.count("-") == 1 else f"G{room.pk}"
        return f"G{room.pk}" if room.is_private else f"C{room.pk}"

    def _folder(self, room):
        """A conversation's folder (and Slack name): the room's name when it
        is one a folder can have and no other conversation took it, else
        its slug; a group conversation's, Slack's mpdm-a--b--c-1."""
        if room.is_direct:
            name = "mpdm-" + "--".join(person.get_username() for person in room.participants) + "-1"
        else:
            name = room.name
        if (
            "/" in name
            or "\\" in name
            or name.startswith(".")
            or not name.isprintable()
            or name.casefold() in self.folders
        ):
            name = get_valid_filename(room.slug.lstrip("~")) or f"room-{room.pk}"
        while name.casefold() in self.folders:
            name = f"{name}-{room.pk}"
        self.folders.add(name.casefold())
        return name

    def _messages(self, folder, messages):
        messages = (
            messages.order_by("pk")
            .select_related("reply_to")
            .annotate(has_replies=Exists(Message.objects.filter(reply_to=OuterRef("pk"))))
            .prefetch_related(
                Prefetch("reactions", Reaction.objects.order_by("pk")),
                Prefetch("attachments", Attachment.objects.order_by("pk")),
                "mentions",
            )
        )
        day, items, previous, shifted = None, [], (None, None), {}
        for message in messages.iterator(chunk_size=CHUNK):
            ts = ts_of(message.created_at)
            if message.created_at == previous[0]:
                # Sent in the same microsecond as the one before (an import's split parts).
                ts = shifted[message.pk] = _next(previous[1])
            previous = (message.created_at, ts)
            when = message.created_at.astimezone(UTC).date()
            if when != day:
                self._write_day(folder, day, items)
                day, items = when, []
            items.append(self._message(message, ts, shifted))
            self.counts["messages"] += 1
        self._write_day(folder, day, items)

    def _write_day(self, folder, day, items):
        if items:
            self.write_json(f"{folder}/{day:%Y-%m-%d}.json", items)

    def _message(self, message, ts, shifted):
        author = user_id(message.author_id) if message.author_id else None
        if message.author_id:
            self.people.add(message.author_id)
        mentioned = {person.get_username(): user_id(person.pk) for person in message.mentions.all()}
        self.people.update(person.pk for person in message.mentions.all())
        item = {"type": "message", "ts": ts, "text": to_slack(message.text, mentioned)}
        if author:
            item["user"] = author
        if message.edited_at:
            item["edited"] = {"user": author, "ts": ts_of(message.edited_at)}
        if message.is_reply:
            parent = message.reply_to
            item["thread_ts"] = NO_MESSAGE if parent is None else shifted.get(parent.pk) or ts_of(parent.created_at)
            if parent is not None and parent.author_id:
                item["parent_user_id"] = user_id(parent.author_id)
        elif message.has_replies:
            item["thread_ts"] = ts
        if reactions := self._reactions(message):
            item["reactions"] = reactions
        if files := [self._file(attachment, author) for attachment in message.attachments.all()]:
            item["files"], item["upload"] = files, True
        return item

    def _reactions(self, message):
        grouped = {}
        for reaction in message.reactions.all():
            grouped.setdefault(reaction.emoji, []).append(user_id(reaction.user_id))
            self.people.add(reaction.user_id)
        return [
            {"name": self.reaction_name(emoji), "users": users, "count": len(users)} for emoji, users in grouped.items()
        ]

    def _file(self, attachment, author):
        """The file's entry, and its bytes copied from storage into __uploads/."""
        file_id = f"F{attachment.pk}"
        name = attachment.name
        if "/" in name or "\\" in name or name in ("", ".", "..") or not name.isprintable():
            name = get_valid_filename(name) or "file"
        try:
            with attachment.file.open("rb") as source, self.archive.open(f"__uploads/{file_id}/{name}", "w") as out:
                shutil.copyfileobj(source, out, 2**20)
        except FileNotFoundError:
            return {"id": file_id, "name": name, "title": attachment.name, "mode": "tombstone"}
        self.counts["files"] += 1
        return {
            "id": file_id,
            "name": name,
            "title": attachment.name,
            "mimetype": attachment.content_type,
            "filetype": name.rsplit(".", 1)[-1].lower() if "." in name else "",
            "size": attachment.size,
            "created": epoch(attachment.created_at),
            "user": author,
            "mode": "hosted",
        }

    # --- the lists ------------------------------------------------------------------------

    def finish(self):
        """users.json (everyone the conversations name) and the conversation lists."""
        users = get_user_model().objects.filter(pk__in=self.people).select_related("bot", PROFILE).order_by("pk")
        self.write_json("users.json", [self._person(person) for person in users])
        for name, entries in self.lists.items():
            self.write_json(name, entries)

    def _person(self, person):
        shown = person.get_full_name()
        chosen = getattr(getattr(person, "profile", None), "display_name", "")  # none: Slack shows real_name
        profile = {
            "real_name": shown or person.get_username(),
            "display_name": chosen,
            "first_name": person.first_name,
            "last_name": person.last_name,
        }
        if self.emails_of is None or person.pk in self.emails_of:
            profile["email"] = person.email
        return {
            "id": user_id(person.pk),
            "name": person.get_username(),
            "real_name": profile["real_name"],
            # Deactivated: an account that was in use. One an import made and
            # nobody claimed yet is inactive, but not deleted.
            "deleted": not person.is_active and (person.has_usable_password() or person.last_login is not None),
            "is_bot": hasattr(person, "bot"),
            "profile": profile,
        }

    def write_json(self, name, data):
        """A member holding `data` as JSON (UTF-8, as Slack writes it)."""
        self.archive.writestr(name, json.dumps(data, ensure_ascii=False, indent=1))


def _next(ts):
    seconds, micro = ts.split(".")
    later = datetime.fromtimestamp(int(seconds), UTC) + timedelta(microseconds=int(micro) + 1)
    return ts_of(later)


def export_rooms(path, rooms):
    """Write `rooms` (rooms and conversations) with all their history to a
    zip at `path` (a name or a file); returns the writer's counts."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        writer = SlackWriter(archive)
        for room in rooms.order_by("pk").prefetch_related("members"):
            writer.conversation(room, room.messages.all(), {person.pk for person in room.members.all()})
        writer.finish()
    return writer.counts


def export_person(path, user):
    """Write `user`'s own data to a zip at `path`: the messages they wrote,
    with their files, in the same layout, and their settings."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        writer = SlackWriter(archive, emails_of={user.pk})
        rooms = Room.objects.filter(pk__in=Message.objects.filter(author=user).values("room_id"))
        for room in rooms.order_by("pk").prefetch_related("members"):
            members = {person.pk for person in room.members.all()} if room.is_direct else {user.pk}
            writer.conversation(room, room.messages.filter(author=user), members)
        writer.finish()
        prefs = NotificationSettings.objects.for_user(user)
        profile = Profile.objects.filter(user=user).first()
        avatar = ""
        if profile is not None and profile.avatar:
            avatar = "avatar." + profile.avatar.name.rsplit(".", 1)[-1]
            with profile.avatar.open("rb") as source, archive.open(avatar, "w") as out:
                shutil.copyfileobj(source, out, 2**20)
        writer.write_json(
            "settings.json",
            {
                "username": user.get_username(),
                "first_name": user.first_name,
                "last_name": user.last_name,
                "display_name": profile.display_name if profile else "",
                "avatar": avatar,
                "email": user.email,
                "date_joined": user.date_joined.isoformat(),
                "email_unread_mentions_and_dms": prefs.email_unread_mentions_and_dms,
                "confirmed_email": prefs.confirmed_email,
            },
        )
