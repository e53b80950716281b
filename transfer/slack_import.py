"""`manage.py import_slack EXPORT.zip`: a Slack workspace export into the
chat (docs/moving-from-slack.md says what becomes what).

The archive is checked before anything is written (transfer/archive.py),
then everything is written in one transaction: people, rooms and
conversations with their members, the messages of each conversation in
the order they were sent, with their times, edits, replies, reactions,
mentions and the files the export carries, then the claim links. A
refusal found on the way (a day's JSON that does not parse) rolls all of
it back, and the files stored for it are deleted again: nothing is
half-imported.

It is a stream: one day of one conversation is in memory at a time (each
JSON member is bounded by the archive's checks), and messages go to the
database in batches of BATCH rows with their mentions, reactions, files
and Slack ids, by bulk inserts that send no signal and broadcast nothing.
The search index is dropped first and built once at the end when the
import brings more messages than the install holds.

Every Slack id brought in is recorded (SlackId): a second run of the same
export imports nothing again, and one of a later export adds only what is
new.
"""

import re
import unicodedata
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.functional import cached_property
from django.utils.text import slugify

from accounts.models import DISPLAY_NAME_LENGTH, Invitation, Profile
from accounts.usernames import skeletons
from core.text import one_line
from files import uploads
from files.models import Attachment
from notifications.models import NotificationSettings
from rooms import shortcodes
from rooms.models import LOBBY_SLUG, MAX_OTHERS, Message, Reaction, ReadMark, Room
from rooms.models.direct import direct_key
from rooms.models.message import UNSENDABLE, stored_text, validate_text
from rooms.models.reaction import normalized_emoji
from search.index import create_index, drop_index

from .archive import ArchiveRefused
from .bulk import times_as_given
from .models import SlackId
from .slack_text import SlackToChat

BATCH = 2000
# Days of JSON parsed together (bytes), and Slack ids looked up per query.
DAYS_READ_TOGETHER = 4 * 2**20
KEYS_PER_QUERY = 2000
# Bytes of export JSON per message, roughly: how many messages an export
# brings, guessed before it is read, to decide whether to rebuild the index.
JSON_BYTES_PER_MESSAGE = 400
# Details of skipped things kept per reason (the counts are all kept).
DETAILS_KEPT = 200
USERNAME_LENGTH = 30

TS = re.compile(r"^(\d{1,11})(?:\.(\d{1,6}))?$")
# What a username may hold (Django's validator: letters, digits, . + - _ @),
# without @ (a handle that looks like an address) and without the
# punctuation a mention drops at its end (rooms/formatting.py TRAILING).
NOT_IN_USERNAME = re.compile(r"[^\w.+-]+")
USERNAME_EDGES = ".,:;!?'\"-+@_"
SKIN_TONES = {f"skin-tone-{n}": chr(0x1F3FB + n - 2) for n in range(2, 7)}

# What each kind of message is: imported (None, a plain message), or skipped for this reason.
IMPORTED_SUBTYPES = {None, "bot_message", "file_share", "me_message", "thread_broadcast"}
NOTICES = {
    "joined or left (Slack's notice)": {"channel_join", "channel_leave", "group_join", "group_leave"},
    "a new topic, purpose or name (Slack's notice)": {
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "group_topic",
        "group_purpose",
        "group_name",
    },
    "archived or reopened (Slack's notice)": {
        "channel_archive",
        "channel_unarchive",
        "group_archive",
        "group_unarchive",
    },
    "a pin (the chat has none)": {"pinned_item", "unpinned_item"},
    "a deleted message that had replies (Slack's placeholder)": {"tombstone"},
    "a copy of a thread reply (imported once, as the reply)": {"reply_broadcast"},
}
NOTICE_REASONS = {subtype: reason for reason, subtypes in NOTICES.items() for subtype in subtypes}


def ts_time(ts):
    """A Slack timestamp ("1700000000.000100") as a UTC datetime, or None."""
    match = TS.match(ts) if isinstance(ts, str) else None
    if match is None:
        return None
    return datetime.fromtimestamp(int(match.group(1)), UTC) + timedelta(
        microseconds=int((match.group(2) or "0").ljust(6, "0"))
    )


def ts_order(ts):
    match = TS.match(ts) if isinstance(ts, str) else None
    return (int(match.group(1)), int((match.group(2) or "0").ljust(6, "0"))) if match else (0, 0)


def deactivated(name, limit):
    """A deactivated person's name, marked so (once: the chat's own exports have it already)."""
    mark = " (deactivated)"
    if name.endswith(mark.strip()):
        return one_line(name, limit)
    return (one_line(name, limit - len(mark)) + mark).strip()


def split_text(text, limit):
    """`text` in parts of at most `limit` characters, cut at a line break,
    else a space, else anywhere."""
    parts = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n ")
    parts.append(text)
    return [part for part in parts if part.strip()]


def emoji_of(name):
    """The emoji a Slack reaction name stands for ("+1", "+1::skin-tone-3"), or None."""
    base, _, modifier = name.partition("::")
    emoji = shortcodes.emoji_for(base)
    if emoji is None:
        return None
    if modifier in SKIN_TONES:
        try:
            return normalized_emoji(emoji.replace("\ufe0f", "") + SKIN_TONES[modifier])
        except ValidationError:
            pass
    return normalized_emoji(emoji)


# What an import brings in, in the order its report lists it.
IMPORTED = [
    "people",
    "people deactivated in Slack",
    "people not in users.json (named by their Slack id)",
    "people matched to their account here by confirmed email",
    "bots",
    "public rooms",
    "private rooms",
    "archived rooms",
    "direct conversations",
    "group conversations",
    "messages",
    "replies",
    "reactions",
    "files",
]
ALREADY_IMPORTED = "messages imported by an earlier run"


@dataclass
class Report:
    """What an import did: counts of what it brought in, of what it
    skipped by reason (with details of up to DETAILS_KEPT each), of what
    it changed on the way, and the claim links."""

    imported: Counter = field(default_factory=lambda: Counter(dict.fromkeys(IMPORTED, 0)))
    skipped: Counter = field(default_factory=Counter)
    details: dict = field(default_factory=lambda: defaultdict(list))
    changed: Counter = field(default_factory=Counter)
    claims: list = field(default_factory=list)  # (user, link, emailed to or "")

    def skip(self, reason, where, count=1):
        self.skipped[reason] += count
        if len(self.details[reason]) < DETAILS_KEPT:
            self.details[reason].append(where)


@dataclass
class Person:
    pk: int
    username: str


@dataclass
class Conversation:
    """One Slack conversation and the room it becomes."""

    slack_id: str
    folder: str
    kind: str  # public, private, direct
    data: dict
    room: Room | None = None
    created: bool = False
    member_pks: set = field(default_factory=set)
    newest: int = 0

    @property
    def mentions_anyone(self):
        """In a public room a mention names any person; elsewhere only members."""
        return self.kind == "public"


class SlackImport:
    """One run over one export. `progress(total bytes)` makes a progress
    bar (tqdm-like: update(n), set_postfix_str(text), close())."""

    def __init__(self, archive, email=False, progress=None):
        self.archive = archive
        self.email = email
        self.progress = progress
        self.report = Report()
        self.people = {}  # Slack id (or "bot:<id>") -> Person
        self.usernames = {}  # pk -> username, of the people above
        self.stored = []  # files written to storage, deleted again if the import is rolled back
        self.User = get_user_model()

    # --- the run -------------------------------------------------------------------------

    def run(self):
        users = self._objects("users.json", required=True)
        channels = self._objects("channels.json", required=True)
        groups = self._objects("groups.json")
        dms = self._objects("dms.json")
        mpims = self._objects("mpims.json")
        days = self.archive.days()
        self.files = self.archive.files_by_id()
        self.room_names = {item["id"]: str(item.get("name") or item["id"]) for item in channels + groups}
        conversations = (
            [Conversation(item["id"], str(item.get("name") or ""), "public", item) for item in channels]
            + [Conversation(item["id"], str(item.get("name") or ""), "private", item) for item in groups]
            + [Conversation(item["id"], item["id"], "direct", item) for item in dms]
            + [Conversation(item["id"], str(item.get("name") or ""), "direct", item) for item in mpims]
        )
        known = {conversation.folder for conversation in conversations}
        for folder in sorted(set(days) - known):
            self.report.skip("a folder that no conversation of the export names", folder, len(days[folder]))
        day_bytes = sum(self.archive.size(name) for c in conversations for name in days.get(c.folder, ()))
        self.converter = SlackToChat(self._mentionable, self.room_names.get)
        try:
            with transaction.atomic(), times_as_given():
                rebuild = day_bytes // JSON_BYTES_PER_MESSAGE > Message.objects.count()
                if rebuild:
                    self._constraints_checked_now()
                    drop_index(connection)
                self._import_people(users)
                for conversation in conversations:
                    self._import_conversation(conversation)
                bar = self.progress(day_bytes) if self.progress else None
                for conversation in conversations:
                    if conversation.room is not None:
                        self._import_messages(conversation, days.get(conversation.folder, ()), bar)
                if bar is not None:
                    bar.close()
                self._mark_read(conversations)
                if rebuild:
                    self._constraints_checked_now()
                    create_index(connection)
                self._claims(users)
        except BaseException:
            uploads.discard(self.stored)
            raise
        return self.report

    @staticmethod
    def _constraints_checked_now():
        """The foreign keys' checks, deferred to the commit, run now (and
        from now on as rows are written): PostgreSQL alters no table that
        has checks pending, as the search index's column does."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def _objects(self, name, required=False):
        """The list of objects a top-level member holds, each with a string id."""
        items = self.archive.json_list(name, required=required)
        for n, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
                raise ArchiveRefused(f'Refused: item {n} of {name} is not an object with an "id".')
        return items

    # --- people -----------------------------------------------------------------------

    def _import_people(self, users):
        known = dict(SlackId.objects.filter(kind=SlackId.PERSON).values_list("slack_id", "object_id"))
        existing = dict(self.User.objects.filter(pk__in=known.values()).values_list("pk", self.User.USERNAME_FIELD))
        for slack_id, pk in known.items():
            self._remember(slack_id, pk if pk in existing else None, existing.get(pk, ""))
        new = list({user["id"]: user for user in users if user["id"] not in known}.values())
        if not new:
            return
        matched = self._matched_by_email(new)
        accounts, ids = [], []
        for user in new:
            if user["id"] in matched:
                account = matched[user["id"]]
                self._remember(user["id"], account.pk, account.get_username())
                self.report.imported["people matched to their account here by confirmed email"] += 1
                continue
            accounts.append(self._account(user))
            ids.append(user["id"])
        self.User.objects.bulk_create(accounts)
        Profile.objects.bulk_create(
            [
                Profile(user_id=account.pk, display_name=account.chosen_name)
                for account in accounts
                if account.chosen_name
            ]
        )
        for slack_id, account in zip(ids, accounts, strict=True):
            self._remember(slack_id, account.pk, account.get_username())
        SlackId.objects.bulk_create(
            [
                SlackId(kind=SlackId.PERSON, slack_id=slack_id, object_id=self.people[slack_id].pk)
                for slack_id in (user["id"] for user in new)
            ]
        )

    def _matched_by_email(self, users):
        """{Slack id: an active account here whose confirmed address is the Slack profile's}."""
        emails = {}
        for user in users:
            email = str((user.get("profile") or {}).get("email") or "").strip().lower()
            if email:
                emails.setdefault(email, user["id"])
        if not emails:
            return {}
        confirmed = NotificationSettings.objects.select_related("user").filter(user__is_active=True)
        matched = {}
        for prefs in confirmed.exclude(confirmed_email="").iterator():
            address = prefs.confirmed_email.lower()
            if address in emails and prefs.user.email.lower() == address:
                matched[emails[address]] = prefs.user
        return matched

    def _account(self, user):
        """A person of users.json as an account (not saved yet): their full
        name as its name, and the display name they chose in Slack, if any,
        as its display name (chosen_name, for their Profile)."""
        profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
        is_bot = bool(user.get("is_bot") or user.get("is_app_user"))
        deleted = bool(user.get("deleted"))
        shown = next(
            (
                str(value)
                for value in (
                    profile.get("real_name"),
                    user.get("real_name"),
                    profile.get("display_name"),
                    user.get("name"),
                )
                if value
            ),
            "",
        )
        shown = deactivated(one_line(shown), 150) if deleted else one_line(shown, 150)
        chosen = one_line(str(profile.get("display_name") or ""))
        if chosen:
            chosen = deactivated(chosen, DISPLAY_NAME_LENGTH) if deleted else one_line(chosen, DISPLAY_NAME_LENGTH)
        handle = user.get("name") or profile.get("display_name") or shown or user["id"]
        email = str(profile.get("email") or "").strip()
        try:
            validate_email(email)
        except ValidationError:
            email = ""
        self.report.imported["bots" if is_bot else "people"] += 1
        if deleted:
            self.report.imported["people deactivated in Slack"] += 1
        account = self._new_account(handle, shown, email=email[:254])
        account.chosen_name = chosen
        return account

    def _new_account(self, handle, shown, email=""):
        """An inactive account (no usable password: it is claimed through an
        invitation, or stays a name on old messages), not saved yet."""
        return self.User(
            **{self.User.USERNAME_FIELD: self._username(handle)},
            first_name=one_line(shown, 150),
            email=email,
            is_active=False,
            password=make_password(None),
        )

    @cached_property
    def taken(self):
        """The look-alike skeletons (accounts/usernames.py) of every username
        here, and of those this run gives."""
        taken = set()
        for name in self.User.objects.values_list(self.User.USERNAME_FIELD, flat=True).iterator():
            taken |= skeletons(name)
        return taken

    def _username(self, handle):
        """A valid username from a Slack name, unlike any taken (case and
        look-alikes folded, as sign-up checks: accounts/usernames.py)."""
        handle = unicodedata.normalize("NFKC", str(handle))
        base = NOT_IN_USERNAME.sub("", handle.replace(" ", ".")).strip(USERNAME_EDGES)[:USERNAME_LENGTH]
        base = base.strip(USERNAME_EDGES) or "user"
        name, n = base, 1
        while self.taken & skeletons(name):
            n += 1
            name = f"{base[: USERNAME_LENGTH - len(str(n))]}{n}"
        self.taken |= skeletons(name)
        return name

    def _person(self, slack_id, shown=None, kind=SlackId.PERSON):
        """The Person for a Slack id; one the export's users.json does not
        list (a bot without a user, someone from another workspace) becomes
        an inactive account of its own, made now. One whose account was
        deleted here since an earlier run has none (pk None): their
        messages show as from a deleted user, as the chat shows such
        messages, and they are nobody's member or reaction."""
        key = slack_id if kind == SlackId.PERSON else f"bot:{slack_id}"[:100]
        if key in self.people:
            return self.people[key]
        found = SlackId.objects.filter(kind=kind, slack_id=key).values_list("object_id", flat=True).first()
        account = self.User.objects.filter(pk=found).first() if found else None
        if found and account is None:
            return self._remember(key, None, "")
        if account is None:
            if kind == SlackId.BOT:
                account = self._new_account(shown or slack_id, shown or slack_id)
                self.report.imported["bots"] += 1
            else:
                handle = "slackbot" if slack_id == "USLACKBOT" else slack_id.lower()
                account = self._new_account(handle, shown or f"Slack user {slack_id}")
                self.report.imported["people not in users.json (named by their Slack id)"] += 1
            self.User.objects.bulk_create([account])
            SlackId.objects.bulk_create([SlackId(kind=kind, slack_id=key, object_id=account.pk)], ignore_conflicts=True)
        return self._remember(key, account.pk, account.get_username())

    def _remember(self, key, pk, username):
        self.people[key] = Person(pk, username)
        if pk is not None:
            self.usernames[pk] = username
        return self.people[key]

    def _mentionable(self, slack_id):
        person = self.people.get(slack_id)
        return (person.pk, person.username) if person and person.pk else None

    # --- conversations -------------------------------------------------------------------

    def _import_conversation(self, conversation):
        data, where = conversation.data, conversation.folder or conversation.slack_id
        known = SlackId.objects.filter(kind=SlackId.CONVERSATION, slack_id=conversation.slack_id).first()
        if known is not None:
            conversation.room = Room.objects.filter(pk=known.object_id).first()
            if conversation.room is None:
                self.report.skip("a conversation deleted here since it was imported", where)
            else:
                conversation.member_pks = set(conversation.room.members.values_list("pk", flat=True))
            return
        members = data.get("members") if isinstance(data.get("members"), list) else []
        member_pks = {self._person(member).pk for member in members if isinstance(member, str) and member}
        member_pks.discard(None)
        created = ts_time(str(data.get("created", ""))) or datetime.now(UTC)
        lobby = None
        if conversation.kind == "direct":
            room = self._direct_room(conversation, member_pks, created)
        else:
            room = self._room(conversation, created)
            lobby = self._lobby(conversation, room)
        if room is None:
            return
        if room.pk is None or lobby is not None:
            if lobby is None:
                Room.objects.bulk_create([room])
            else:
                room = lobby
            Room.members.through.objects.bulk_create(
                [Room.members.through(room_id=room.pk, user_id=pk) for pk in member_pks], ignore_conflicts=True
            )
            conversation.created = True
            if room.is_direct:
                self.report.imported["group conversations" if len(member_pks) > 2 else "direct conversations"] += 1
            else:
                self.report.imported["private rooms" if room.is_private else "public rooms"] += 1
            if room.is_archived:
                self.report.imported["archived rooms"] += 1
        conversation.room, conversation.member_pks = room, member_pks
        SlackId.objects.bulk_create(
            [SlackId(kind=SlackId.CONVERSATION, slack_id=conversation.slack_id, object_id=room.pk)]
        )

    def _lobby(self, conversation, room):
        """The lobby every install starts with, when the export's general
        channel (Slack's #general, or the lobby of the chat's own export)
        can be it: while it has no message, it takes the channel's name and
        topic, instead of standing empty beside it. None otherwise."""
        if not conversation.data.get("is_general"):
            return None
        lobby = Room.objects.rooms().filter(slug=LOBBY_SLUG).first()
        if (
            lobby is None
            or lobby.messages.exists()
            or SlackId.objects.filter(kind=SlackId.CONVERSATION, object_id=lobby.pk).exists()
        ):
            return None
        self.slugs.discard(room.slug)
        Room.objects.filter(pk=lobby.pk).update(name=room.name, topic=room.topic, is_archived=room.is_archived)
        lobby.name, lobby.topic, lobby.is_archived = room.name, room.topic, room.is_archived
        return lobby

    @cached_property
    def slugs(self):
        return set(Room.objects.values_list("slug", flat=True))

    def _room(self, conversation, created):
        data = conversation.data
        name = one_line(conversation.folder, 80) or conversation.slack_id
        base = slugify(name)[:70].strip("-") or f"slack-{conversation.slack_id.lower()}"[:70]
        slug, n = base, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        self.slugs.add(slug)
        topic = next(
            (
                str(part.get("value") or "")
                for part in (data.get("topic"), data.get("purpose"))
                if isinstance(part, dict) and part.get("value")
            ),
            "",
        )
        return Room(
            kind=Room.ROOM,
            name=name,
            slug=slug,
            topic=one_line(topic, 200),
            created_at=created,
            is_private=conversation.kind == "private",
            is_archived=bool(data.get("is_archived")),
        )

    def _direct_room(self, conversation, member_pks, created):
        where = conversation.folder
        if len(member_pks) < 2:
            self.report.skip("a conversation with oneself (the chat's conversations are between 2 or more)", where)
            return None
        if len(member_pks) > MAX_OTHERS + 1:
            self.report.skip(f"a group conversation of more than {MAX_OTHERS + 1} people", where)
            return None
        key = direct_key(member_pks)
        existing = Room.objects.filter(direct_key=key).first()
        if existing is not None:
            return existing
        return Room(
            kind=Room.DIRECT,
            direct_key=key,
            is_private=True,
            name="",
            slug=f"~dm-{uuid.uuid4().hex}",
            created_at=created,
        )

    # --- messages --------------------------------------------------------------------------

    def _import_messages(self, conversation, days, bar):
        key_prefix = f"{conversation.slack_id}/"
        # Only a room that has messages already (an earlier run's) can hold any of these.
        self.earlier = not conversation.created and conversation.room.messages.exists()
        self.roots = {}  # thread ts -> its first message: a Message in the batch, else its pk
        self.new_roots = []  # the roots of the batch
        self.batch, self.batch_ts = [], {}
        for read in self._days_read(days):
            seen = self._imported_before(key_prefix, read) if self.earlier else set()
            for day, items in read:
                good = []
                for item in items:
                    if not isinstance(item, dict):
                        self.report.skip("not a message (not a JSON object)", day)
                    elif ts_time(item.get("ts")) is None:
                        self.report.skip("no valid time (ts)", day)
                    elif key_prefix + item["ts"] in seen:
                        self.report.skipped[ALREADY_IMPORTED] += 1
                    else:
                        seen.add(key_prefix + item["ts"])
                        good.append(item)
                for item in sorted(good, key=lambda item: ts_order(item["ts"])):
                    self._message(conversation, item, f"{day} {item['ts']}")
                    if len(self.batch) >= BATCH:
                        self._flush(conversation)
                if bar is not None:
                    bar.update(self.archive.size(day))
                    bar.set_postfix_str(f"{self.report.imported['messages']:,} messages", refresh=False)
        self._flush(conversation)

    def _days_read(self, days):
        """The days parsed, [(day, its items)] at a time: as many as make
        DAYS_READ_TOGETHER bytes of JSON, so that an import run again looks
        up which messages it has in one query for many small days."""
        read, size = [], 0
        for day in days:
            read.append((day, self.archive.json_list(day)))
            size += self.archive.size(day)
            if size >= DAYS_READ_TOGETHER:
                yield read
                read, size = [], 0
        if read:
            yield read

    def _imported_before(self, key_prefix, read):
        keys = [
            key_prefix + item["ts"]
            for _, items in read
            for item in items
            if isinstance(item, dict) and isinstance(item.get("ts"), str)
        ]
        found = set()
        for start in range(0, len(keys), KEYS_PER_QUERY):
            found.update(
                SlackId.objects.filter(
                    kind=SlackId.MESSAGE, slack_id__in=keys[start : start + KEYS_PER_QUERY]
                ).values_list("slack_id", flat=True)
            )
        return found

    def _author(self, item):
        user = item.get("user")
        if item.get("subtype") == "bot_message" or (not user and item.get("bot_id")):
            profile = item.get("bot_profile") if isinstance(item.get("bot_profile"), dict) else {}
            shown = str(item.get("username") or profile.get("name") or "")
            bot = str(item.get("bot_id") or shown)
            if user and user in self.people and not shown:
                return self.people[user]
            return self._person(bot, shown=shown or None, kind=SlackId.BOT) if bot else None
        return self._person(user) if isinstance(user, str) and user else None

    def _message(self, conversation, item, where):
        subtype = item.get("subtype")
        if subtype not in IMPORTED_SUBTYPES:
            reason = NOTICE_REASONS.get(subtype, "a kind of Slack event the chat has no place for")
            self.report.skip(f"{subtype}: {reason}", where)
            return
        author = self._author(item)
        if author is None:
            self.report.skip("no author (neither a user nor a bot)", where)
            return
        text = item.get("text") if isinstance(item.get("text"), str) else ""
        if not text.strip() and isinstance(item.get("attachments"), list):
            text = "\n".join(
                str(part.get("fallback") or part.get("text") or "")
                for part in item["attachments"]
                if isinstance(part, dict)
            ).strip()
        text, mentioned = self.converter.convert(text)
        if subtype == "me_message" and text.strip():
            text = f"_{text.strip()}_"
        text = stored_text(text)
        if UNSENDABLE.search(text):
            text = UNSENDABLE.sub("", text)
            self.report.changed["messages with control characters removed"] += 1
        files = self._files(conversation, item, where)
        parts = split_text(text, settings.CHAT_MAX_MESSAGE_LENGTH) if text.strip() else []
        if not parts and not files:
            self.report.skip("empty (no text, and no file the export carries)", where)
            return
        if len(parts) > 1:
            self.report.changed[
                f"messages longer than {settings.CHAT_MAX_MESSAGE_LENGTH} characters split into several"
            ] += 1
        created = ts_time(item["ts"])
        first = None
        for n, part in enumerate(parts or [""]):
            try:
                validate_text(part, caption=bool(files) and n == 0)
            except ValidationError as refusal:
                self.report.skip(f"refused by the chat: {' '.join(refusal.messages)}", where)
                return
            message = Message(room=conversation.room, author_id=author.pk, text=part, created_at=created)
            # What is written after it, once it has its id.
            message.pending = {"key": None, "mentions": (), "reactions": [], "files": [], "parent": None}
            if first is None:
                first = message
            self.batch.append(message)
        first.pending.update(key=f"{conversation.slack_id}/{item['ts']}", files=files)
        allowed = mentioned if conversation.mentions_anyone else mentioned & conversation.member_pks
        for message in self.batch[-len(parts or [""]) :]:
            message.pending["mentions"] = self._mentioned_in(message.text, allowed, len(parts))
        edited = item.get("edited")
        if isinstance(edited, dict) and (when := ts_time(edited.get("ts"))):
            first.edited_at, first.revision = when, 1
        self._thread(conversation, item, first)
        first.pending["reactions"] = self._reactions(item, where)
        self.report.imported["messages"] += len(parts or [""])

    def _mentioned_in(self, text, mentioned, parts):
        """Of `mentioned` (pks), those whose @username is in this part of a text split in `parts`."""
        if parts == 1 or not mentioned:
            return mentioned
        return {pk for pk in mentioned if f"@{self.usernames[pk]}" in text}

    def _thread(self, conversation, item, message):
        """A thread's first message is remembered by its ts; a reply (thread_ts
        other than its own ts) answers it. The chat's own exports also name a
        reply as thread_ts (a reply to a reply): looked up among the batch,
        then among the messages already written."""
        ts, thread_ts = item["ts"], item.get("thread_ts")
        self.batch_ts[ts] = message
        if not isinstance(thread_ts, str) or not thread_ts:
            return
        if thread_ts == ts:
            self.roots[ts] = message
            self.new_roots.append(ts)
            return
        message.is_reply = True
        parent = self.roots.get(thread_ts) or self.batch_ts.get(thread_ts)
        if parent is None:
            parent = (
                SlackId.objects.filter(kind=SlackId.MESSAGE, slack_id=f"{conversation.slack_id}/{thread_ts}")
                .values_list("object_id", flat=True)
                .first()
            )
        message.pending["parent"] = parent
        self.report.imported["replies"] += 1

    def _reactions(self, item, where):
        reactions = item.get("reactions") if isinstance(item.get("reactions"), list) else []
        chosen, per_person = {}, Counter()
        for reaction in reactions:
            if not isinstance(reaction, dict) or not isinstance(reaction.get("name"), str):
                continue
            name = reaction["name"]
            try:
                emoji = emoji_of(name)
            except ValidationError:
                emoji = None
            users = [user for user in reaction.get("users") or () if isinstance(user, str)]
            if emoji is None:
                self.report.skip(
                    f"reactions with an emoji the chat does not know (:{name.split('::')[0]}:)", where, len(users) or 1
                )
                continue
            if emoji not in chosen and len(chosen) >= settings.CHAT_REACTION_EMOJI_PER_MESSAGE:
                self.report.skip(
                    f"reactions past {settings.CHAT_REACTION_EMOJI_PER_MESSAGE} different emoji on one message",
                    where,
                    len(users),
                )
                continue
            people = chosen.setdefault(emoji, set())
            for user in users:
                pk = self._person(user).pk
                if pk is None or pk in people:
                    continue
                if per_person[pk] >= settings.CHAT_REACTION_EMOJI_PER_PERSON:
                    self.report.skip(
                        f"reactions past {settings.CHAT_REACTION_EMOJI_PER_PERSON} by one person on one message", where
                    )
                    continue
                people.add(pk)
                per_person[pk] += 1
        return [(pk, emoji) for emoji, people in chosen.items() for pk in sorted(people)]

    def _files(self, conversation, item, where):
        """The files of a message the export carries, stored as uploads are
        (images re-encoded); the rest are skipped with the reason."""
        found = item.get("files") if isinstance(item.get("files"), list) else []
        if not found and isinstance(item.get("file"), dict):
            found = [item["file"]]
        stored = []
        for info in found:
            if not isinstance(info, dict) or not isinstance(info.get("id"), str):
                continue
            name = str(info.get("name") or info.get("title") or info["id"])[:255]
            if info.get("mode") in ("tombstone", "hidden_by_limit") or info.get("file_access") in (
                "access_denied",
                "file_not_found",
            ):
                self.report.skip("files deleted or hidden in Slack", f"{where} {name}")
                continue
            member = self.files.get(info["id"])
            if member is None:
                self.report.skip(
                    "files not in the export (Slack's exports link to them: see the docs)", f"{where} {name}"
                )
                continue
            if len(stored) >= settings.CHAT_MAX_FILES_PER_MESSAGE:
                self.report.skip(f"files past {settings.CHAT_MAX_FILES_PER_MESSAGE} on one message", f"{where} {name}")
                continue
            try:
                stored.append(self._store(conversation.room, member, name, str(info.get("mimetype") or "")))
            except ValidationError as refusal:
                self.report.skip(f"files refused: {' '.join(refusal.messages)}", f"{where} {name}")
        return stored

    def _store(self, room, member, name, content_type):
        size = self.archive.size(member)
        upload = TemporaryUploadedFile(name, content_type[:100], size, None)
        try:
            with self.archive.open(member) as source:
                while chunk := source.read(2**20):
                    upload.write(chunk)
            upload.seek(0)
            uploads.check([upload])
            stored = uploads.store(room, [upload])[0]
        finally:
            upload.close()
        self.stored.append(stored)
        self.report.imported["files"] += 1
        return stored

    def _flush(self, conversation):
        """Insert the batch with everything that hangs from its messages."""
        batch, self.batch, self.batch_ts = self.batch, [], {}
        if not batch:
            return
        Message.objects.bulk_create(batch)
        for ts in self.new_roots:  # their pks from now on, not the objects
            self.roots[ts] = self.roots[ts].pk
        self.new_roots = []
        children = []
        for message in batch:
            parent = message.pending["parent"]
            if isinstance(parent, Message):
                message.reply_to_id = parent.pk
                children.append(message)
            elif isinstance(parent, int):
                message.reply_to_id = parent
                children.append(message)
        if children:
            Message.objects.bulk_update(children, ["reply_to"])
        SlackId.objects.bulk_create(
            [
                SlackId(kind=SlackId.MESSAGE, slack_id=message.pending["key"], object_id=message.pk)
                for message in batch
                if message.pending["key"]
            ]
        )
        Message.mentions.through.objects.bulk_create(
            [
                Message.mentions.through(message_id=message.pk, user_id=pk)
                for message in batch
                for pk in message.pending["mentions"]
            ]
        )
        Reaction.objects.bulk_create(
            [
                Reaction(message_id=message.pk, user_id=pk, emoji=emoji, created_at=message.created_at)
                for message in batch
                for pk, emoji in message.pending["reactions"]
            ]
        )
        Attachment.objects.bulk_create(
            [
                Attachment(
                    message_id=message.pk,
                    name=each.name,
                    file=each.path,
                    size=each.size,
                    content_type=each.content_type,
                    width=each.width,
                    height=each.height,
                    preview=each.preview_path,
                    preview_width=each.preview_width,
                    preview_height=each.preview_height,
                    created_at=message.created_at,
                )
                for message in batch
                for each in message.pending["files"]
            ]
        )
        self.report.imported["reactions"] += sum(len(message.pending["reactions"]) for message in batch)
        conversation.newest = max(conversation.newest, batch[-1].pk)

    def _mark_read(self, conversations):
        """The people of a room this import made have read its history:
        what they wrote in Slack is not news to them."""
        ReadMark.objects.bulk_create(
            [
                ReadMark(user_id=pk, room_id=conversation.room.pk, last_read=conversation.newest)
                for conversation in conversations
                if conversation.created and conversation.newest
                for pk in conversation.member_pks
            ],
            ignore_conflicts=True,
        )

    # --- claiming accounts ------------------------------------------------------------------

    def _claims(self, users):
        """A claim link for each person of users.json whose account is still
        unclaimed (a usable one is reused: a second run prints the same
        links), emailed after commit with --email where an address is known."""
        from .tasks import email_claim_link

        claimable = [
            self.people[user["id"]].pk
            for user in users
            if user["id"] in self.people
            and not user.get("deleted")
            and not user.get("is_bot")
            and not user.get("is_app_user")
            and user["id"] != "USLACKBOT"
        ]
        accounts = self.User.objects.filter(pk__in=claimable, is_active=False).order_by(self.User.USERNAME_FIELD)
        usable = {
            invitation.account_id: invitation
            for invitation in Invitation.objects.usable().filter(account__in=accounts).order_by("pk")
        }
        for account in accounts:
            if account.has_usable_password():
                continue
            invitation = usable.get(account.pk) or Invitation.objects.create_for(account=account)
            emailed = account.email if self.email and account.email else ""
            if emailed:
                transaction.on_commit(lambda pk=invitation.pk: email_claim_link.enqueue(pk), robust=True)
            self.report.claims.append((account, invitation.link(), emailed))
