"""What the data-scale benchmark measures: one function per operation, each
doing what the server does for it, in-process (Django's test Client for
pages, the model layer for what the WebSocket consumer runs).

Each `prepare_*` runs once per size and returns the callable that is timed;
anything a repeat must undo (a read mark to move back) happens outside the
timed call, in the callable's `reset`.
"""

from django.contrib.auth import get_user_model
from django.test import Client

from rooms import broadcasts
from rooms.models import Message, ReadMark, Room

from .seed import BUSY, READER, SEARCH_WORD, STAFF

DEEP = 0.1  # "older history deep in the past": before the message at 10% of the busy room's history


class Operation:
    def __init__(self, name, label, run, reset=None):
        self.name, self.label, self.run, self.reset = name, label, run, reset


def get(client, url):
    def run():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    return run


def catch_up(user, room, after):
    """What a page `after` messages behind gets when it reconnects: the
    model calls of the room socket's sync (rooms/sockets.py,
    RoomConsumer.sync and _missed_batch) without a socket: the access
    check, the too-far-behind probe, batches of missed messages each
    rendered into the frame it sends, then the user's room list."""
    from django.conf import settings

    room.check_can_read(user)
    limit = settings.CHAT_SYNC_MAX_MESSAGES
    if Message.objects.missed_more_than(room, after, limit):
        return [broadcasts.too_far_behind(room)]
    frames, sent, first = [], 0, True
    while sent < limit:
        size = min(settings.CHAT_CATCH_UP_BATCH, limit - sent)
        gone, edited = Message.objects.changed_among(room, [], {}) if first else ((), ())
        missed = Message.objects.missed_since(room, after, size)
        frames.append(broadcasts.catch_up(missed, gone, edited))
        sent, first = sent + len(missed), False
        if len(missed) < size:
            break
        after = missed[-1].pk
    frames.append(broadcasts.room_list(list(Room.objects.sidebar_for(user))))
    return frames


def operations():
    from django.conf import settings

    # The most a page may have missed and still be caught up (further behind, it is told to reload).
    missed_count = settings.CHAT_SYNC_MAX_MESSAGES
    User = get_user_model()
    reader = User.objects.get(username=READER)
    staff = User.objects.get(username=STAFF)
    client = Client()
    client.force_login(reader)
    admin = Client()
    admin.force_login(staff)
    busy = Room.objects.get(slug=BUSY)
    ids = busy.messages.order_by("-pk").values_list("pk", flat=True)
    count = busy.messages.count()
    deep = ids[int(count * (1 - DEEP))]
    behind = ids[missed_count]
    newest = ids[0]
    mark = ReadMark.objects.get(user=reader, room=busy)
    marked_from = ids[60]

    def reset_mark():
        ReadMark.objects.filter(pk=mark.pk).update(last_read=marked_from)

    def mark_read():
        if not ReadMark.objects.mark_read(reader, busy, newest):
            raise RuntimeError("mark_read did not move the mark")

    def post():
        Message.objects.post(busy, reader, "a message posted by the benchmark")

    def do_catch_up():
        frames = catch_up(reader, busy, behind)
        if sum(frame.count('<article id="message-') for frame in frames) < missed_count:
            raise RuntimeError("catch-up sent fewer messages than were missed")

    changelist = "/admin/rooms/message/"
    return [
        Operation("room_list", "`GET /` (room list, unread and mention counts)", get(client, "/")),
        Operation(
            "room_page", f"`GET /rooms/{BUSY}/` (busiest room, with the sidebar)", get(client, f"/rooms/{BUSY}/")
        ),
        Operation(
            "older",
            "`GET /rooms/<busy>/older/?before=` deep in the past",
            get(client, f"/rooms/{BUSY}/older/?before={deep}"),
        ),
        Operation(
            "catch_up",
            f"catch-up of {missed_count} missed messages (CHAT_SYNC_MAX_MESSAGES), then the room "
            "list (the socket's model calls and frames)",
            do_catch_up,
        ),
        Operation("mark_read", "`ReadMark.objects.mark_read` (and the count it announces)", mark_read, reset_mark),
        Operation("post", "`Message.objects.post` (save, mentions, broadcast)", post),
        Operation("admin_list", "admin message list", get(admin, changelist)),
        Operation(
            "admin_search",
            f"admin message list, searched (`q={SEARCH_WORD}`)",
            get(admin, f"{changelist}?q={SEARCH_WORD}"),
        ),
        Operation(
            "admin_room", "admin message list, filtered by room", get(admin, f"{changelist}?room__id__exact={busy.pk}")
        ),
    ]
