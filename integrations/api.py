"""The bots' JSON API: POST /api/v1/rooms/<slug>/messages/, to rooms only
(a direct conversation is answered through the webhook), and its OpenAPI
document at /api/v1/openapi.json (integrations/openapi.py; docs/bots-api.md
for people).

Bearer tokens only: a session cookie is never looked at (request.user is
not consulted), which is also why CSRF does not apply. Every answer is JSON,
errors as {"error": "..."} (what Django itself answers under /api/ too:
integrations/middleware.py); the rules are the models' (Bot.room_at,
Bot.post, then Message.objects.post), this view only translates their
refusals. The checks run cheapest first: the token, the room, the body's
size and nesting, and only then the JSON parser and the database write.
"""

import json
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import JsonResponse
from django.views.decorators.common import no_append_slash
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from rooms.flood import FloodError

from . import openapi
from .models import BadToken, Bot

# How deep the body's arrays and objects may nest. A message is one object
# holding a string; json.loads recurses once per level, and a body nested
# thousands deep ends in RecursionError, so anything past this is refused
# before it is parsed.
MAX_NESTING = 32

# A backslash escape, a quote, or a bracket: all nesting_exceeds looks at.
JSON_TOKENS = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)


class BadBody(Exception):
    """A body that is not {"text": "..."}: its HTTP status and why."""

    def __init__(self, status, text):
        super().__init__(text)
        self.status = status


def error(status, text, **headers):
    response = JsonResponse({"error": text}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def error_codes(refusal):
    groups = refusal.error_dict.values() if hasattr(refusal, "error_dict") else [refusal.error_list]
    return {error.code for group in groups for error in group}


def body_limit():
    """The largest body a message can need: its longest text with every
    character escaped as a surrogate pair (\\ud83d\\ude00, 12 bytes), and
    room for the key and white space."""
    return settings.CHAT_MAX_MESSAGE_LENGTH * 12 + 4096


def nesting_exceeds(body, limit):
    """Whether the arrays and objects of JSON `body` nest deeper than
    `limit`, brackets inside strings not counted; one linear pass, stopping
    at the first level too deep, without building anything."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth, in_string = 0, False
    for token in JSON_TOKENS.finditer(body):
        token = token[0]
        if token == b'"':
            in_string = not in_string
        elif in_string or len(token) == 2:
            continue
        elif token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def message_text(request):
    """The text of the request's {"text": "..."}; raises BadBody."""
    try:
        body = request.body
    except RequestDataTooBig:  # past Django's own ceiling: not even read
        body = None
    limit = body_limit()
    # Read as a parser streaming it would: what nests too deep within the
    # size a message may take is malformed; past that size it is too large.
    if body is not None and nesting_exceeds(body[:limit], MAX_NESTING):
        raise BadBody(400, f'The JSON nests deeper than {MAX_NESTING} levels; send {{"text": "..."}}.')
    if body is None or len(body) > limit:
        raise BadBody(413, f"The request body is too large: a message needs at most {limit} bytes.")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadBody(400, 'Send JSON: {"text": "..."}.') from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise BadBody(400, 'Send JSON with the message as a string: {"text": "..."}.')
    return data["text"]


@csrf_exempt  # no cookie authentication here, so no cross-site request can act as anyone
@no_append_slash  # a POST without the final slash is a 404, not a redirect that loses its body
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
        message = bot.post(room, message_text(request))
    except BadBody as refusal:
        return error(refusal.status, str(refusal))
    except FloodError as refusal:
        return error(429, refusal.messages[0], **{"Retry-After": str(settings.CHAT_RATE_LIMIT_SECONDS)})
    except ValidationError as refusal:
        status = 413 if "max_length" in error_codes(refusal) else 400
        return error(status, " ".join(refusal.messages))
    except PermissionDenied as refusal:
        return error(403, str(refusal) or "This bot may not post here.")
    return JsonResponse({"id": message.pk, "url": request.build_absolute_uri(message.get_absolute_url())}, status=201)


@require_safe
def openapi_document(request):
    return JsonResponse(openapi.document(), json_dumps_params={"indent": 2})
