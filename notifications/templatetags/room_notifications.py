"""The room page's menu of what reaches its reader (preferences.py), and the
levels every page with a socket carries for its background notifications
(frontend notifications.js)."""

from django import template
from django.urls import reverse

from ..preferences import RoomPreference

register = template.Library()


def menu_context(user, room, **extra):
    level, muted = RoomPreference.objects.state_of(user, room)
    action = (
        reverse("notifications:dm-room", kwargs={"dm": room.pk})
        if room.is_direct
        else reverse("notifications:room", kwargs={"slug": room.slug})
    )
    return {"room": room, "level": level, "muted": muted, "action": action, **extra}


@register.inclusion_tag("notifications/room_menu.html", takes_context=True)
def room_menu(context, room):
    """{% room_menu room %}: the menu in the room page's header."""
    return {**menu_context(context["user"], room), "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("notifications/notify_levels.html", takes_context=True)
def notify_levels(context):
    """{% notify_levels %}: the reader's rooms by level, where they chose one."""
    return {"levels": RoomPreference.objects.levels_for(context["user"])}
