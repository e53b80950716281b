"""Direct messages: a conversation of 2-9 people is a private Room of the
"direct" kind whose members are its participants.

Being a room, it gets every room feature by construction (live delivery,
catch-up, edits, deletions, typing, presence, unread counts, mentions,
search), and the room's own rule (room.check_can_read: members only) keeps
everyone else out. What is its own is here: the one conversation per set
of people, and whom it shows as its title.
"""

import uuid

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q

from .. import flood
from .room import Room, RoomQuerySet

# People in a conversation besides the one who starts it.
MAX_OTHERS = 8


def direct_key(user_ids):
    """The participant set as one string: the same people give the same key,
    whoever starts the conversation and in whatever order they are named."""
    return "-".join(str(pk) for pk in sorted(set(user_ids)))


def people_named(usernames, starter):
    """The active users `usernames` name, the starter left out; raises
    ValidationError for an unknown name or a number of people outside 1-8."""
    names = {name.strip() for name in usernames if name and name.strip()}
    names.discard(starter.get_username())
    if not names:
        raise ValidationError("Pick at least one person to message.", code="nobody")
    if len(names) > MAX_OTHERS:
        raise ValidationError(
            "A conversation has at most %(limit)d people besides you.", code="too_many", params={"limit": MAX_OTHERS}
        )
    field = get_user_model().USERNAME_FIELD
    people = list(get_user_model().objects.filter(is_active=True, **{f"{field}__in": names}))
    unknown = names - {person.get_username() for person in people}
    if unknown:
        raise ValidationError(
            "Nobody here is called %(names)s.", code="unknown", params={"names": ", ".join(sorted(unknown))}
        )
    return people


def conversation_between(starter, others):
    """(room, created): the conversation of `starter` and the users `others`
    (1-8 of them), created when it does not exist yet. Safe under races: the
    unique key lets one of two simultaneous starts create it, and the other
    finds it."""
    people = {person.pk: person for person in others if person.pk != starter.pk}
    if not 1 <= len(people) <= MAX_OTHERS:
        raise ValidationError("A conversation is you and 1 to %(limit)d others.", params={"limit": MAX_OTHERS})
    starter_is_active = starter.is_authenticated and starter.is_active
    if not starter_is_active or not all(person.is_active for person in people.values()):
        raise ValidationError("Only active accounts can have a conversation.", code="inactive")
    key = direct_key([starter.pk, *people])
    existing = Room.objects.filter(direct_key=key).first()
    if existing is not None:
        return existing, False
    # A new conversation shows in other people's lists: it counts against
    # the starter's flood control like a message (flood.FloodError).
    flood.check(starter)
    try:
        with transaction.atomic():
            # The slug only fills the column: conversations are found by id
            # (/dm/<id>/), and "~" keeps it out of any /rooms/<slug>/ URL.
            room = Room.objects.create(
                kind=Room.DIRECT, direct_key=key, is_private=True, name="", slug=f"~dm-{uuid.uuid4().hex}"
            )
            room.members.set([starter, *people.values()])
    except IntegrityError:
        # Someone else started it a moment ago.
        return Room.objects.get(direct_key=key), False
    return room, True


def check_people_fixed(conversation, action, user_ids):
    """Raise ValidationError unless this change of `conversation`'s members
    (an m2m_changed `action` with the ids of the users it adds or removes)
    is its start: the people of a conversation are set once, by
    conversation_between, to exactly those its key names. Anyone added
    later (a bot or staff among them) would read, and be shown in the
    title of, a conversation its people started without them; anyone
    taken out would lose it while the same people still find it."""
    starting = action == "pre_add" and direct_key(user_ids) == conversation.direct_key
    if not (starting and not conversation.members.exists()):
        raise ValidationError(
            "The people of a conversation are fixed when it starts: nobody joins or leaves it.",
            code="people_fixed",
        )


def attach_participants(rooms):
    """Give the conversations among `rooms` their participants, in one
    query whatever their number (Room.participants)."""
    people = {room.pk: [] for room in rooms if room.is_direct}
    if people:
        rows = Room.members.through.objects.filter(room_id__in=people).select_related("user")
        for row in sorted(rows, key=lambda row: row.user.get_username()):
            people[row.room_id].append(row.user)
    for room in rooms:
        if room.is_direct:  # each instance: a list of results holds several of one room
            room._participants = people[room.pk]
    return rooms


def others_in(room, viewer):
    """The participants of conversation `room` other than `viewer`."""
    return [person for person in room.participants if person.pk != getattr(viewer, "pk", None)]


def title_for(room, viewer):
    """How `viewer` sees the room named: "# name", or the other people's names."""
    if not room.is_direct:
        return f"# {room.name}"
    return ", ".join(person.get_username() for person in others_in(room, viewer)) or "Just you"


def people_matching(text, viewer, limit=20):
    """Active people whose name contains `text` (all of them when blank), the viewer left out."""
    field = get_user_model().USERNAME_FIELD
    people = get_user_model().objects.filter(is_active=True).exclude(pk=viewer.pk)
    text = text.strip()
    if text:
        people = people.filter(
            Q(**{f"{field}__icontains": text}) | Q(first_name__icontains=text) | Q(last_name__icontains=text)
        )
    return list(people.order_by(field)[:limit])


class ConversationManager(models.Manager.from_queryset(RoomQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=Room.DIRECT)


class Conversation(Room):
    """Direct conversations as staff see them in the admin: that they exist,
    who is in them, how many messages and when; never what was said."""

    objects = ConversationManager()

    class Meta:
        proxy = True
        verbose_name = "direct conversation"
