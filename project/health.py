"""/healthz: 200 when the database and the channel layer both answer, else 503 naming the failing part."""

import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)

TIMEOUT = 3


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _channel_layer():
    # A layer instance of its own: a round trip on a fresh connection, which
    # no other request's failure can have left in a bad state.
    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    try:
        channel = await layer.new_channel("healthz.")
        await layer.send(channel, {"type": "health.ping"})
        reply = await layer.receive(channel)
        if reply.get("type") != "health.ping":
            raise RuntimeError("unexpected reply")
    finally:
        if hasattr(layer, "close_pools"):
            await layer.close_pools()


async def _check(name, check):
    try:
        await asyncio.wait_for(check(), TIMEOUT)
        return name, "ok"
    except Exception as error:  # any failure is the answer, not a crash
        log.warning("health check %s failed: %r", name, error)
        return name, f"error: {type(error).__name__}"


@never_cache
@require_GET
async def healthz(request):
    results = dict(
        await asyncio.gather(
            _check("database", sync_to_async(_database)),
            _check("channel_layer", _channel_layer),
        )
    )
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **results}, status=200 if healthy else 503)
