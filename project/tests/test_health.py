import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_connections")]


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


async def test_healthz_ok(async_client):
    response = await async_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}


async def test_healthz_503_when_the_channel_layer_is_down(async_client, settings):
    # A Redis that is not there: nothing listens on port 1.
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    response = await async_client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["channel_layer"] == "error"


async def test_healthz_503_when_the_database_is_down_says_no_more_in_public(async_client, monkeypatch, caplog):
    from django.db import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("password authentication failed for user secret-user")

    monkeypatch.setattr("core.health._database", broken)
    response = await async_client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "error", "channel_layer": "ok"}
    assert "secret-user" not in response.content.decode()
    assert "secret-user" in caplog.text  # the operator finds it in the log


@pytest.mark.redis
async def test_healthz_reuses_its_redis_connections_and_survives_a_restart(async_client, settings, tmp_path):
    import shutil

    from conftest import RedisServer

    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("redis-server is not installed")
    from core import health
    from project.settings import redis_options

    redis = RedisServer(binary).start()
    try:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [{"address": redis.url, **redis_options(redis.url), "socket_timeout": 15}]},
            }
        }
        for _ in range(3):
            assert (await async_client.get("/healthz")).status_code == 200
        layer = health._probe_layer
        assert layer is not None
        assert await _client_count(redis.url) <= 3  # the same few pooled connections, not one per probe
        redis.stop()
        assert (await async_client.get("/healthz")).status_code == 503
        redis = RedisServer(binary, port=redis.port).start()
        assert (await async_client.get("/healthz")).status_code == 200
        assert health._probe_layer is layer
    finally:
        redis.stop()


async def _client_count(url):
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(url)
    try:
        # Our own connection is one of them.
        return len(await client.client_list()) - 1
    finally:
        await client.aclose()
