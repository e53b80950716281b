"""Rooms and direct conversations in templates: their URLs and titles."""

from django import template

from ..models import MAX_OTHERS, title_for
from ..models.direct import others_in

register = template.Library()


@register.simple_tag
def room_url(room, name="detail", **kwargs):
    """{% room_url room "message" pk=42 %}: /rooms/<slug>/messages/42/ or /dm/<id>/messages/42/."""
    return room.url(name, **kwargs)


@register.simple_tag(takes_context=True)
def room_title(context, room):
    """{% room_title room %}: "# name", or the names of the conversation's
    people but the viewer (`user`: all of them when rendered for everyone)."""
    return title_for(room, context.get("user"))


@register.filter
def rooms_only(rooms):
    """The rooms proper among `rooms` (RoomQuerySet.sidebar_for), in their order."""
    return [room for room in rooms if not room.is_direct]


@register.filter
def conversations(rooms):
    """The direct conversations among `rooms`, most recent first (by their
    newest message, `latest`; new empty ones by creation)."""
    direct = [room for room in rooms if room.is_direct]
    return sorted(direct, key=lambda room: (getattr(room, "latest", 0) or 0, room.pk), reverse=True)


@register.simple_tag(takes_context=True)
def conversation_people(context, room):
    """{% conversation_people room as people %}: its participants but the
    viewer (all of them when rendered for everyone)."""
    return others_in(room, context.get("user"))


@register.simple_tag
def conversation_size_limit():
    """How many people one may pick for a conversation besides oneself."""
    return MAX_OTHERS
