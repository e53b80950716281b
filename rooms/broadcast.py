"""The one path every live change takes to open room pages.

Each change is rendered ONCE, from the same template partials the room page
uses, with no request and nothing specific to a viewer, and the resulting
HTML is group_sent to the room. Consumers only forward it to their socket;
htmx swaps it in out-of-band by id.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.template.loader import render_to_string

# The consumer handler that forwards a prepared fragment: RoomConsumer.room_fragment.
FRAGMENT_EVENT = "room.fragment"


def render(partial, **context):
    return render_to_string(f"rooms/room.html#{partial}", context)


async def send_html(group, html):
    await get_channel_layer().group_send(group, {"type": FRAGMENT_EVENT, "html": html})


def message_posted(message):
    """A saved message appears at the end of #messages on every open page."""
    async_to_sync(send_html)(message.room.group_name, render("message-appended", message=message))


async def presence_changed(room_group, people):
    """`people`: the usernames in the room now, one entry per user."""
    await send_html(room_group, render("presence", people=people, oob=True))
