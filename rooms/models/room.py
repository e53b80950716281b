"""Rooms, who may read them and who may post in them.

A room's state changes reach open pages by themselves: saving a room whose
archived flag, privacy or list entry changed, changing its members, and
deleting rooms all broadcast after commit (rooms/broadcasts.py), once per
transaction, whoever makes the change (the admin, a shell, a migration).
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce, Lower

from core.compiled import CompiledQuery
from core.text import validate_one_line

from .. import broadcasts
from .address import RoomAddress
from .history import RoomHistory

LOBBY_SLUG = "lobby"


# Why a user may not act in a room; consumers close a socket by kind
# (rooms/sockets.py), views answer 403/404.
class NotSignedIn(PermissionDenied):
    """The account is gone or deactivated."""


class NotAMember(PermissionDenied):
    """A private room the user is not (or no longer) a member of."""


class RoomArchived(PermissionDenied):
    """Archived rooms are read-only."""


ARCHIVED = "This room is archived: it is read-only."
NOT_A_MEMBER = "You are not a member of this room."


class RoomQuerySet(models.QuerySet):
    def at(self, slug=None, dm=None):
        """The room a URL names: /rooms/<slug>/ names a room, /dm/<id>/ a
        conversation, and neither resolves the other kind."""
        if dm is not None:
            return self.filter(kind=Room.DIRECT, pk=dm)
        return self.filter(kind=Room.ROOM, slug=slug)

    def rooms(self):
        """Rooms proper, without direct conversations (the admin's Rooms)."""
        return self.filter(kind=Room.ROOM)

    def visible_to(self, user):
        """Rooms `user` may open: every public room, and private ones they
        belong to (their direct conversations among them)."""
        if not user.is_authenticated:
            return self.none()
        # A subquery rather than a join: no DISTINCT over every column of
        # every room (the room list's counts included) to undo the join.
        member_of = Room.members.through.objects.filter(user=user).values("room_id")
        return self.filter(Q(is_private=False) | Q(pk__in=member_of))

    def listed_for(self, user):
        """The rooms in `user`'s room list: those they may open, but for the
        public rooms they left (they may still open and read those)."""
        left = Room.left_by.through.objects.filter(user=user).values("room_id")
        return self.visible_to(user).exclude(pk__in=left)

    def directory(self):
        """The rooms anyone may join or leave: public, not archived, not a conversation."""
        return self.filter(kind=Room.ROOM, is_private=False, is_archived=False)

    def directory_for(self, user):
        """The directory (/rooms/) as `user` sees it, by name: each room with
        `member_count` (active people, not bots, who have not left it) and
        `joined` (whether it is in `user`'s list). Two queries, whatever the
        number of rooms or people."""
        from django.contrib.auth import get_user_model

        people = get_user_model().objects.filter(is_active=True, bot__isnull=True)
        everyone = people.count()
        left_by_people = Q(left_by__is_active=True, left_by__bot__isnull=True)
        left = Room.left_by.through.objects.filter(user=user, room=models.OuterRef("pk"))
        return (
            self.directory()
            .annotate(leavers=models.Count("left_by", filter=left_by_people), joined=~models.Exists(left))
            .annotate(member_count=everyone - models.F("leavers"))
            .order_by(Lower("name"), "pk")
        )

    def ensure_lobby(self):
        """The public room every new install starts with; returns (room, created)."""
        return self.get_or_create(
            slug=LOBBY_SLUG, defaults={"name": "Lobby", "topic": "Say hello: everyone can read this room."}
        )

    def sidebar_for(self, user):
        """The rooms in `user`'s list (listed_for), in list order, with their
        unread counts (two queries, whatever the number of rooms)."""
        return self.listed_for(user).with_unread(user).order_by(Lower("name"), "pk")

    def with_unread(self, user):
        """`user`'s read state on each room: last_read (None: never opened),
        unread (messages by others after it), mentions (those that mention
        the user) and latest (the newest message id, 0 for none).

        Both counts stop at UNREAD_COUNT_LIMIT (pages show "99+"), and cost
        the same at ten thousand messages and ten million: unread is
        annotated (read_mark.unread_annotations), mentions are counted for
        the whole list in one more query as the rooms are read
        (read_mark.CountingMentions)."""
        from .read_mark import CountingMentions, unread_annotations

        rooms = self.with_latest().annotate(**unread_annotations(user))
        rooms._mentions_of = user
        rooms._iterable_class = CountingMentions
        return rooms

    def _clone(self):
        clone = super()._clone()
        clone._mentions_of = getattr(self, "_mentions_of", None)
        return clone

    def with_latest(self):
        """Annotate latest: the id of the room's newest message (0 for none)."""
        from .message import Message

        newest = Message.objects.filter(room=models.OuterRef("pk")).order_by("-pk").values("pk")[:1]
        return self.annotate(latest=Coalesce(models.Subquery(newest), 0))

    def delete(self):
        """Delete rooms with their history; their open pages close and their
        entries leave the room lists of those who could see them."""
        rooms = [(room.pk, room.group_name, room.allowed_user_ids()) for room in self]
        with transaction.atomic():
            result = super().delete()
            for pk, group, allowed in rooms:
                transaction.on_commit(lambda group=group: broadcasts.room_closed(group), robust=True)
                transaction.on_commit(lambda pk=pk, allowed=allowed: broadcasts.room_unlisted(pk, allowed), robust=True)
        return result


# What a room's list entry shows, or decides who sees it.
LISTED_FIELDS = ("name", "slug", "topic", "is_archived", "is_private")


class Room(RoomAddress, RoomHistory, models.Model):
    # A direct conversation (rooms/models/direct.py) is a private room whose
    # members are its participants: every room feature works there because
    # it is the same machinery. It has no name, slug or topic of its own.
    ROOM, DIRECT = "room", "direct"
    KINDS = [(ROOM, "room"), (DIRECT, "direct conversation")]

    kind = models.CharField(max_length=10, choices=KINDS, default=ROOM, editable=False)
    # The sorted participant ids ("3-8-12") of a direct conversation: unique,
    # so the same people always get the same conversation, even when two of
    # them start it at the same moment.
    direct_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    # One line each (core/text.py): emails put the name in their subject.
    name = models.CharField(max_length=80, validators=[validate_one_line])
    slug = models.SlugField(max_length=80, unique=True)
    topic = models.CharField(max_length=200, blank=True, validators=[validate_one_line])
    is_archived = models.BooleanField(
        "archived", default=False, help_text="Archived rooms keep their history but accept no new messages."
    )
    is_private = models.BooleanField(
        "private", default=False, help_text="Private rooms are visible only to their members."
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="private_rooms")
    # People who left this public room (the directory, /rooms/): it is out of
    # their room list and counts no unread there. They may still open it,
    # and a mention still reaches them: they remain among its readers.
    left_by = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="rooms_left", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoomQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="room", direct_key__isnull=True)
                | Q(kind="direct", direct_key__isnull=False, is_private=True),
                name="room_direct_is_private_with_key",
            )
        ]

    def __str__(self):
        if self.is_direct:
            return "Direct messages: " + ", ".join(person.get_username() for person in self.participants)
        return self.name

    @property
    def group_name(self):
        return self.group_name_for(self.pk)

    @staticmethod
    def group_name_for(pk):
        # From the pk, not the slug: staff may rename a slug while pages are open.
        return f"room.{pk}"

    # --- who may do what --------------------------------------------------------------

    def is_visible_to(self, user, is_member=None):
        """`is_member`: whether `user` is a member, when the caller read it already."""
        if not user.is_authenticated:
            return False
        if not self.is_private:
            return True
        return self.members.filter(pk=user.pk).exists() if is_member is None else is_member

    def check_can_read(self, user, is_member=None):
        """Raise NotSignedIn or NotAMember unless `user` may read the room now."""
        if not user.is_authenticated or not user.is_active:
            raise NotSignedIn("You are signed out. Log in again to keep chatting.")
        if not self.is_visible_to(user, is_member):
            raise NotAMember(NOT_A_MEMBER)

    def check_can_post(self, user):
        """The one rule for writing here (posting, editing, marking read),
        against the room's state in the database now: staff may have archived
        it or removed the member since the page opened (Room.DoesNotExist:
        the room is gone). A room that was private when loaded has its
        membership read in the same statement; a public one does not pay
        for it, and if it has turned private since, is_visible_to asks.
        Both statements are compiled once (core/compiled.py): every
        message sends one."""
        if self.is_private and user.is_authenticated:
            rows = ROOM_STATE_WITH_MEMBERSHIP.rows(self.pk, user.pk)
        else:
            rows = ROOM_STATE.rows(self.pk)
        if not rows:
            raise Room.DoesNotExist("This room no longer exists.")
        self.is_archived, self.is_private, *is_member = rows[0]
        self.check_can_read(user, is_member[0] if is_member else None)
        if self.is_archived:
            raise RoomArchived(ARCHIVED)

    # --- the reader's own list: leaving and joining public rooms -------------------------

    def leave(self, user):
        """Take this public room out of `user`'s room list, on every page of
        theirs at once. Private rooms and conversations are staff's: NotAMember."""
        self._check_in_directory()
        with transaction.atomic():
            self.left_by.add(user)
            transaction.on_commit(lambda: broadcasts.room_left(user.pk, self.pk), robust=True)

    def join(self, user):
        """Put this public room back in `user`'s room list, on every page of
        theirs at once (each page then asks for its counts)."""
        self._check_in_directory()
        with transaction.atomic():
            self.left_by.remove(user)

            def send():
                room = Room.objects.with_latest().filter(pk=self.pk).first()
                if room is not None:
                    broadcasts.room_joined(user.pk, room)

            transaction.on_commit(send, robust=True)

    def _check_in_directory(self):
        if self.kind != Room.ROOM or self.is_private:
            raise NotAMember(NOT_A_MEMBER)

    def leaver_ids(self):
        """Who left this room: its live list entry is not theirs."""
        return set(self.left_by.values_list("pk", flat=True))

    def allowed_user_ids(self):
        """None for a public room (every signed-in user), else the members' ids."""
        return None if not self.is_private else set(self.members.values_list("pk", flat=True))

    def readers(self):
        """Active users who may read this room: everyone in a public room, members in a private one."""
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(is_active=True)
        return users.filter(private_rooms=self) if self.is_private else users

    # --- changes reach open pages -------------------------------------------------------

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        room = super().from_db(db, field_names, values, **kwargs)
        room._saved = {name: getattr(room, name) for name in LISTED_FIELDS if name in field_names}
        return room

    # Beside from_db, whose snapshot it compares with, and the section's
    # broadcasts it triggers, rather than first after __str__.
    def save(self, *args, **kwargs):  # noqa: DJ012
        created = self._state.adding
        before = getattr(self, "_saved", {})
        changed = {name for name in LISTED_FIELDS if name in before and before[name] != getattr(self, name)}
        if "is_private" in changed:
            # Who could see the entry before: they are told it is gone.
            self._remember_readers()
        with transaction.atomic():
            super().save(*args, **kwargs)
            self._saved = {name: getattr(self, name) for name in LISTED_FIELDS}
            if "is_archived" in changed:
                transaction.on_commit(lambda: broadcasts.room_changed(self), robust=True)
            if "is_private" in changed:
                self.access_changed()
            if created or changed:
                self._queue_listing()

    def _allowed_in_database(self):
        if self.pk is None:
            return set()
        stored = Room.objects.filter(pk=self.pk).first()
        return set() if stored is None else stored.allowed_user_ids()

    def set_archived(self, archived):
        """Archive (read-only) or reopen the room; open pages follow live."""
        self.is_archived = archived
        self.save(update_fields=["is_archived"])

    def access_changed(self):
        """Who may read the room changed (privacy or members): after commit,
        sockets of people who may no longer see it are closed (4404) and the
        room lists follow. Called by save() and by the members signal."""
        if getattr(self, "_access_queued", False):
            return
        self._access_queued = True

        def send():
            self._access_queued = False
            if Room.objects.filter(pk=self.pk).exists():
                broadcasts.access_changed(self.group_name, self.allowed_user_ids())

        transaction.on_commit(send, robust=True)
        self._queue_listing()

    def _remember_readers(self):
        """Before a change of who may read the room: those who could, as the
        database has them (None: everyone), are told if its entry is gone."""
        before = self._allowed_in_database()
        self._previously_allowed = self._merge(getattr(self, "_previously_allowed", set()), before)

    def _queue_listing(self):
        """After commit, every signed-in page's room list shows the room as
        it is then, to those who may see it; for those who could see it
        before (_remember_readers) and may no longer, its entry disappears.
        Nobody else hears of the room. Several changes in one transaction
        broadcast once."""
        if getattr(self, "_listing_queued", False):
            return
        self._listing_queued = True

        def send():
            self._listing_queued = False
            previously, self._previously_allowed = getattr(self, "_previously_allowed", set()), set()
            room = Room.objects.with_latest().filter(pk=self.pk).first()
            if room is not None:
                broadcasts.room_listed(room, room.allowed_user_ids(), previously, room.leaver_ids())

        transaction.on_commit(send, robust=True)

    @staticmethod
    def _merge(known, more):
        """Union of two sets of user ids where None means everyone."""
        if known is None or more is None:
            return None
        return known | more

    def members_changing(self):
        """Before members are added or removed (rooms/signals.py)."""
        if self.is_private:
            self._remember_readers()

    def delete(self, *args, **kwargs):
        return Room.objects.filter(pk=self.pk).delete()


# What check_can_post reads for every message posted.
# (order_by(): one row by primary key, nothing to order.)
ROOM_STATE = CompiledQuery(
    lambda room: Room.objects.filter(pk=room).order_by().values_list("is_archived", "is_private")
)
ROOM_STATE_WITH_MEMBERSHIP = CompiledQuery(
    lambda room, user: (
        Room.objects.filter(pk=room)
        .order_by()
        .values_list(
            "is_archived",
            "is_private",
            models.Exists(Room.members.through.objects.filter(room=room, user=user)),
        )
    )
)
