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
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                    "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    response = await async_client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["channel_layer"].startswith("error")


async def test_healthz_503_when_the_database_is_down(async_client, monkeypatch):
    from django.db import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("database is down")

    monkeypatch.setattr("project.health._database", broken)
    response = await async_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"
