"""/healthz: 200 when the database and the channel layer both answer, else
503 naming the failing part. The public answer is status words only ("ok",
"error"); what failed and why goes to the log, for the operator."""

import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)

TIMEOUT = 3


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


# A layer instance of the probe's own, kept for the process: its pooled
# connections are reused from probe to probe, and no consumer waits on its
# receive lock, so a busy room cannot hold a probe past TIMEOUT. A Redis
# restart leaves its pooled connections dead; the pool's health checks and
# one retry (settings.redis_options) reconnect on the next probe, as they do
# for the consumers' layer. Dropped when CHANNEL_LAYERS changes (tests).
_probe_layer = None


@receiver(setting_changed)
def _forget_probe_layer(setting, **kwargs):
    global _probe_layer
    if setting == "CHANNEL_LAYERS":
        _probe_layer = None


async def _channel_layer():
    global _probe_layer
    if _probe_layer is None:
        _probe_layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    layer = _probe_layer
    channel = await layer.new_channel("healthz.")
    await layer.send(channel, {"type": "health.ping"})
    reply = await layer.receive(channel)
    if reply.get("type") != "health.ping":
        raise RuntimeError("unexpected reply")


async def _check(name, check):
    try:
        await asyncio.wait_for(check(), TIMEOUT)
        return name, "ok"
    except Exception:  # any failure is the answer, not a crash
        log.warning("health check %s failed", name, exc_info=True)
        return name, "error"


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
