from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models.functions import Lower
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST

from accounts.names import display_name, named_like
from core.ids import BadId, parse_id

from . import shortcodes
from .models import Message, Reaction, Room


@login_required
def room_list(request):
    rooms = Room.objects.sidebar_for(request.user)
    return render(request, "rooms/room_list.html", {"rooms": rooms})


@login_required
def directory(request):
    """/rooms/: every public room, with its topic and members, to join or leave."""
    return render(request, "rooms/directory.html", {"directory": Room.objects.directory_for(request.user)})


def _back(request):
    """Where a join or leave form returns: its `next` on this site, else the directory."""
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return next_url
    return "rooms:directory"


@login_required
@require_POST
def join_room(request, slug):
    """Put a public room (back) in the viewer's room list. Any other room,
    private or archived, answers 404 like an unknown one."""
    get_object_or_404(Room.objects.directory(), slug=slug).join(request.user)
    return redirect(_back(request))


@login_required
@require_POST
def leave_room(request, slug):
    """Take a public room out of the viewer's room list (they may still open it)."""
    get_object_or_404(Room.objects.directory(), slug=slug).leave(request.user)
    return redirect(_back(request))


def _readable(request, route, rooms=None):
    """The room a URL names (/rooms/<slug>/ or /dm/<id>/: `route`), 404
    unless the user may read it: a private room's existence (and a
    conversation's) stays secret."""
    rooms = Room.objects.visible_to(request.user) if rooms is None else rooms
    return get_object_or_404(rooms.at(**route))


def _history(request, route):
    """The room (_readable) and the page of history before ?before=<message
    id>, or None for bad input."""
    room = _readable(request, route)
    before = request.GET.get("before")
    if before is not None:
        try:
            before = parse_id(before)
        except BadId:
            return room, None
    history, has_older = room.history_page(before)
    return room, {"room": room, "history": history, "has_older": has_older}


BAD_BEFORE = "?before= must be a message id."


@login_required
def room_detail(request, **route):
    room, context = _history(request, route)
    if context is None:
        return HttpResponseBadRequest(BAD_BEFORE)
    return _room_page(request, room, context)


@login_required
def message_permalink(request, pk, **route):
    """The room page opened around one message (a link from search or
    "Copy link"): a page of history before and after it, the message
    highlighted, newer history loading as the reader scrolls down."""
    room = _readable(request, route)
    get_object_or_404(Message.objects.filter(room=room), pk=pk)
    history, has_older, has_newer = room.history_around(pk)
    return _room_page(
        request,
        room,
        {
            "room": room,
            "history": history,
            "has_older": has_older,
            "has_newer": has_newer,
            "linked": pk,
            "latest": room.latest_message_id() if has_newer else None,
        },
    )


def _room_page(request, room, context):
    return render(
        request,
        "rooms/room.html",
        {
            **context,
            **_room_list(request.user, room, context["history"]),
            "max_length": settings.CHAT_MAX_MESSAGE_LENGTH,
            "edit_window": settings.CHAT_EDIT_WINDOW_SECONDS,
            "reaction_palette": Reaction.objects.palette_for(request.user),
            "emoji_version": shortcodes.VERSION,
        },
    )


def _room_list(user, room, history):
    """The sidebar's rooms with the viewer's counts, where the "New
    messages" divider goes (above the first message by someone else after
    the viewer's last read one, when they have read this room before), and
    whether the viewer left this room."""
    rooms = list(Room.objects.sidebar_for(user))
    listed = next((entry for entry in rooms if entry.pk == room.pk), None)
    last_read = listed.last_read if listed is not None else None
    first_unread = None
    if last_read is not None:
        first_unread = next((m.pk for m in history if m.pk > last_read and m.author_id != user.pk), None)
    # A public room the viewer left: the page offers to join it again.
    return {"rooms": rooms, "first_unread": first_unread, "left": listed is None and not room.is_private}


@login_required
def older_messages(request, **route):
    """The page of history above what the room page shows, for "Load older"."""
    _room, context = _history(request, route)
    if context is None:
        return HttpResponseBadRequest(BAD_BEFORE)
    return render(request, "rooms/room.html#older-page", context)


BAD_AFTER = "?after= must be a message id."


@login_required
def newer_messages(request, **route):
    """The page of history below what a room page opened in the past shows
    (a permalink), for "Load newer"."""
    room = _readable(request, route)
    try:
        after = parse_id(request.GET.get("after"))
    except BadId:
        return HttpResponseBadRequest(BAD_AFTER)
    history, has_newer = room.history_after(after)
    return render(
        request,
        "rooms/room.html#newer-page",
        {
            "room": room,
            "history": history,
            "has_newer": has_newer,
            "latest": room.latest_message_id() if has_newer else None,
        },
    )


@login_required
def room_entry(request, **route):
    """One room's entry in the room list with the viewer's counts: for a
    page on which the room has just appeared (live entries are rendered for
    everyone, without counts)."""
    room = _readable(request, route, Room.objects.sidebar_for(request.user))
    return render(request, "rooms/room_list.html#room-entry", {"room": room})


@login_required
def message_source(request, pk, **route):
    """The text of one's own message as typed, for the edit box (the page
    shows it formatted)."""
    room = _readable(request, route)
    message = get_object_or_404(Message, room=room, pk=pk)
    message.check_can_edit(request.user)  # PermissionDenied: 403 with the reason
    return HttpResponse(message.text, content_type="text/plain; charset=utf-8")


# The composer offers at most this many people for "@al".
PEOPLE_OFFERED = 8


@login_required
@require_GET
def room_people(request, **route):
    """Whom "@" and ?q= may name here, for the composer's suggestions:
    people who can read the room (a conversation's participants) whose
    username, first or last name starts with q, the viewer left out, at most
    PEOPLE_OFFERED by username, as JSON {"people": [{"username", "name"}]}.
    The same 404 as the room's page for whoever may not read it."""
    room = _readable(request, route)
    prefix = request.GET.get("q", "").strip()
    field = get_user_model().USERNAME_FIELD
    if len(prefix) > get_user_model()._meta.get_field(field).max_length:
        return JsonResponse({"people": []})  # no name is that long
    people = room.readers().exclude(pk=request.user.pk)
    if prefix:
        people = people.filter(named_like(prefix))
    people = people.order_by(Lower(field), "pk")[:PEOPLE_OFFERED]
    return JsonResponse(
        {"people": [{"username": person.get_username(), "name": display_name(person)} for person in people]}
    )


# A year: the URL names the emoji package's version, so a new version is a new URL.
EMOJI_TABLE_MAX_AGE = 365 * 24 * 60 * 60


@require_GET
@gzip_page
def emoji_table(request, version):
    """Every emoji shortcode and its emoji (rooms/shortcodes.py), for the
    page to convert `:tada:` as it is typed and to offer completions: the
    same names the server converts when a message is saved. A page made
    before an upgrade asks for the old version and is sent to the new one."""
    if version != shortcodes.VERSION:
        return redirect("rooms:emoji", version=shortcodes.VERSION)
    response = HttpResponse(shortcodes.table_json(), content_type="application/json")
    patch_cache_control(response, public=True, max_age=EMOJI_TABLE_MAX_AGE, immutable=True)
    return response
