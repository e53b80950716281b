"""Every HTTP request gets an id, a line in the access log and a place in
the request latency histogram.

The id (a fresh one, or the platform router's X-Request-ID when
TRUST_PROXY_HEADERS believes it) is bound to the log context for the whole
request (core/logs.py): Django's own "Internal Server Error" line, logged
after the middleware chain has answered, carries it too, so the context is
not reset when the middleware returns. Under ASGI each request runs in a
task of its own, and a sync middleware chain (WhiteNoise's is sync only) in
a copy of that task's context, which asgiref hands back to it: the context
ends with the request. The answer names the id in X-Request-ID, so a person
reporting an error can quote it.

The access line (logger chat.access) replaces daphne's own access log, which
is not JSON; with DEBUG on it is quiet, as runserver's is (settings.LOGGING).
"""

import logging
import re
import time
import uuid

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.utils.decorators import sync_and_async_middleware

from . import logs, metrics

access = logging.getLogger("chat.access")

# A router's request id is believed when it looks like one (Heroku's are UUIDs).
ROUTER_ID = re.compile(r"^[A-Za-z0-9._:-]{8,200}$")
# The methods the latency histogram names; anything else is "other" (a label
# per invented method would grow the metrics without bound).
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _begin(request):
    given = request.headers.get("X-Request-ID", "") if settings.TRUST_PROXY_HEADERS else ""
    request_id = given if ROUTER_ID.match(given) else uuid.uuid4().hex
    logs.bind_request(request, request_id)
    return request_id, time.perf_counter()


def _end(request, response, request_id, started):
    seconds = time.perf_counter() - started
    response.headers.setdefault("X-Request-ID", request_id)
    match = request.resolver_match
    method = request.method if request.method in METHODS else "other"
    metrics.request_answered(method, match.view_name if match else "unresolved", response.status_code, seconds)
    access.info("%s %s %s %.1f ms", method, request.path, response.status_code, seconds * 1000)


@sync_and_async_middleware
def request_context(get_response):
    if iscoroutinefunction(get_response):

        async def middleware(request):
            request_id, started = _begin(request)
            response = await get_response(request)
            _end(request, response, request_id, started)
            return response

    else:

        def middleware(request):
            request_id, started = _begin(request)
            response = get_response(request)
            _end(request, response, request_id, started)
            return response

    return middleware
