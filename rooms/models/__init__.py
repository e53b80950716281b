"""The chat's domain: rooms, who may see them, the messages posted in them and how far each person read."""

from .direct import MAX_OTHERS, Conversation, conversation_between, people_named, title_for
from .message import Message, MessageQuerySet, validate_length, validate_not_blank, validate_sendable, validate_text
from .reaction import Reaction
from .read_mark import UNREAD_COUNT_LIMIT, ReadMark
from .room import LOBBY_SLUG, NotAMember, NotSignedIn, Room, RoomArchived, RoomQuerySet

__all__ = [
    "LOBBY_SLUG",
    "MAX_OTHERS",
    "UNREAD_COUNT_LIMIT",
    "Conversation",
    "Message",
    "MessageQuerySet",
    "NotAMember",
    "NotSignedIn",
    "Reaction",
    "ReadMark",
    "Room",
    "RoomArchived",
    "RoomQuerySet",
    "conversation_between",
    "people_named",
    "title_for",
    "validate_length",
    "validate_not_blank",
    "validate_sendable",
    "validate_text",
]
