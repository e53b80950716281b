"""Uploading files to a room, and fetching them.

Thin: the rules are the model layer's (files/models.py, rooms/models/);
these views translate refusals into responses. Every file URL looks the
room up among those the reader may see now, so a file answers 404 exactly
when the room page would (a stranger, a member removed from a private room,
a deleted message)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST

from core.csrf import csrf_token_in_header
from core.request_bodies import accepts_body
from core.serving import serve_stored
from rooms.flood import FloodError
from rooms.models import NotAMember, Room

from . import uploads
from .models import Attachment

SIGNED_OUT = "You are signed out. Log in again to keep chatting."


def _refusal(text, status):
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@accepts_body(uploads.body_ceiling, uploads.body_too_large, signed_out=SIGNED_OUT)
@csrf_token_in_header
@require_POST
def upload(request, **route):
    """POST multipart: `message` (the caption), `client_id`, and `file` once
    per file. 201 with the message's id; it reaches the room's pages, the
    sender's included, through the broadcast. Refusals answer with the
    reason as plain text for #chat-errors.

    Cheap checks first. Before the body is parsed: the CSRF token (from its
    header), signed in, the sender's budget of refused uploads, the room,
    their rights and flood allowance, the declared size. Then the caption
    and the files, before any is stored or decoded (Attachment.objects.post).
    Every refusal counts against that budget: past it, uploads are refused
    unread until the window passes."""
    if not request.user.is_authenticated:
        return _refusal(SIGNED_OUT, 403)
    try:
        uploads.check_refusals(request.user)
    except FloodError as refusal:
        return _refusal(" ".join(refusal.messages), 429)
    refused = True
    try:
        response = _upload(request, route)
        refused = response.status_code != 201
        return response
    finally:  # a 404, or a body Django cannot parse, counts too
        if refused:
            uploads.count_refusal(request.user)


def _upload(request, route):
    room = get_object_or_404(Room.objects.visible_to(request.user).at(**route))
    try:
        Attachment.objects.check_can_upload(room, request.user, _content_length(request))
        # The body is parsed here, once nothing cheaper refuses it.
        files = request.FILES.getlist("file")
        message = Attachment.objects.post(
            room, request.user, request.POST.get("message", ""), files, request.POST.get("client_id") or None
        )
    except NotAMember:
        raise Http404("No such room.") from None
    except PermissionDenied as refusal:  # RoomArchived, or a deactivated account
        return _refusal(str(refusal), 403)
    except FloodError as refusal:
        return _refusal(" ".join(refusal.messages), 429)
    except ValidationError as refusal:
        status = 413 if getattr(refusal, "code", None) == "too_large" else 400
        return _refusal(" ".join(refusal.messages), status)
    return HttpResponse(str(message.pk), status=201, content_type="text/plain")


def _content_length(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _attachment(request, pk):
    """The attachment, if its room is one the reader may see now (one query)."""
    readable = Room.objects.visible_to(request.user)
    return get_object_or_404(Attachment.objects.filter(message__room__in=readable), pk=pk)


@require_GET
def download(request, pk, name):
    """The file as stored. Images (re-encoded by us) are shown inline, unless
    ?download asks to save one (the image viewer's Download); anything else
    is a download, never rendered by the browser."""
    attachment = _attachment(request, pk)
    if attachment.is_image:
        return serve_stored(
            attachment.file, attachment.name, attachment.content_type, inline="download" not in request.GET
        )
    return serve_stored(attachment.file, attachment.name, "application/octet-stream", inline=False)


@require_GET
def preview(request, pk):
    attachment = _attachment(request, pk)
    if not attachment.is_image:
        raise Http404("No preview.")
    return serve_stored(attachment.preview, attachment.name, attachment.content_type, inline=True)
