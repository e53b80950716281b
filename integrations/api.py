"""The bots' JSON API (SPEC 13): POST /api/v1/rooms/<slug>/messages/, to
rooms only (a direct conversation is answered through the webhook).

Bearer tokens only: a session cookie is never looked at (request.user is
not consulted), which is also why CSRF does not apply. Every answer is JSON,
errors as {"error": "..."}; the rules are the models' (Bot.room_at,
Bot.post, then Message.objects.post), this view only translates their
refusals.
"""

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rooms.flood import FloodError

from .models import BadToken, Bot


def error(status, text, **headers):
    response = JsonResponse({"error": text}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def error_codes(refusal):
    groups = refusal.error_dict.values() if hasattr(refusal, "error_dict") else [refusal.error_list]
    return {error.code for group in groups for error in group}


@csrf_exempt  # no cookie authentication here, so no cross-site request can act as anyone
@require_POST
def post_message(request, slug):
    try:
        bot = Bot.objects.authenticate(request.headers.get("Authorization"))
    except BadToken as refusal:
        return error(401, str(refusal), **{"WWW-Authenticate": 'Bearer realm="chat"'})
    room = bot.room_at(slug)
    if room is None:
        return error(404, f"There is no room {slug}.")
    try:
        data = json.loads(request.body)
    except RequestDataTooBig:
        return error(413, "The request body is too large.")
    except ValueError:
        return error(400, 'Send JSON: {"text": "..."}.')
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return error(400, 'Send JSON with the message as a string: {"text": "..."}.')
    try:
        message = bot.post(room, data["text"])
    except FloodError as refusal:
        return error(429, refusal.messages[0], **{"Retry-After": str(settings.CHAT_RATE_LIMIT_SECONDS)})
    except ValidationError as refusal:
        status = 413 if "max_length" in error_codes(refusal) else 400
        return error(status, " ".join(refusal.messages))
    except PermissionDenied as refusal:
        return error(403, str(refusal) or "This bot may not post here.")
    return JsonResponse({"id": message.pk, "url": request.build_absolute_uri(message.get_absolute_url())}, status=201)
