"""Log lines for log shippers (LOG_FORMAT=json), and what ties a line to
the request, socket or task it was logged for.

A request (core/middleware.py), a page's socket (realtime/page.py) or a
background task (core/apps.py) binds its id, and what it knows of its user
and room, to the current context; every line logged while it is handled,
by the app, by Django ("Internal Server Error: ...") or by daphne, carries
them. Context variables follow the work through sync_to_async and
database_sync_to_async, and each ASGI connection runs in a task of its
own, so no request sees another's.
"""

import contextvars
import json
import logging
from datetime import UTC, datetime

_context = contextvars.ContextVar("chat_log_context", default=None)

# What a line may carry beside its time, level, logger and message.
FIELDS = ("request_id", "socket_id", "task_id", "user_id", "room")


def room_label(url_kwargs):
    """A room as its URLs name it: its slug, or dm/<id> for a direct conversation."""
    if url_kwargs.get("dm") is not None:
        return f"dm/{url_kwargs['dm']}"
    return url_kwargs.get("slug")


def bind(**fields):
    """Lines logged from here on in this context carry `fields` (None: no longer)."""
    _context.set({**(_context.get() or {}), **fields})


def bind_request(request, request_id):
    """A new request: its id, and the request itself, from which a line
    learns its user (once the request has looked it up) and room."""
    _context.set({"request_id": request_id, "request": request})


def current_fields():
    """The fields the current context gives a line."""
    bound = _context.get()
    if not bound:
        return {}
    fields = {name: bound[name] for name in FIELDS if bound.get(name) is not None}
    request = bound.get("request")
    if request is not None:
        fields.update(_request_fields(request))
    return fields


def _request_fields(request):
    """The user and room of a request, from what its handling has found so far:
    a log line never costs a query (nor one in the event loop's thread)."""
    fields = {}
    # Set by django.contrib.auth's middleware once something asked for request.user (or auser()).
    user = request.__dict__.get("_cached_user") or request.__dict__.get("_acached_user")
    if user is not None and user.is_authenticated:
        fields["user_id"] = user.pk
    match = getattr(request, "resolver_match", None)
    room = room_label(match.kwargs) if match is not None else None
    if room is not None:
        fields["room"] = str(room)
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message,
    the context's fields, and the traceback when there is one."""

    def format(self, record):
        time = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        line = {
            "time": time.replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **current_fields(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
