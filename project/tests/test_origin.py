"""Only the site's own pages may open a WebSocket: scheme, host and port all count."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from project.asgi import application
from rooms.models import Room

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_connections")]


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", ".nip.io"]


@pytest.fixture
async def cookie(django_user_model):
    await sync_to_async(Room.objects.ensure_lobby)()
    alice = await django_user_model.objects.acreate(username="alice")
    client = Client()
    await sync_to_async(client.force_login)(alice)
    return client.cookies["sessionid"].value


async def connects(cookie, origin, host="127.0.0.1:8000", scheme="ws", extra=()):
    headers = [(b"cookie", f"sessionid={cookie}".encode()), (b"host", host.encode()), *extra]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    communicator = WebsocketCommunicator(application, "/ws/rooms/lobby/", headers=headers)
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


async def test_the_sites_own_origin_connects(cookie):
    assert await connects(cookie, "http://127.0.0.1:8000")
    assert await connects(cookie, "https://localhost", host="localhost", scheme="wss")
    assert await connects(cookie, "https://localhost:443", host="localhost", scheme="wss")


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.127.0.0.1.nip.io:8000",  # another host (an allowed domain's subdomain, even)
        "http://127.0.0.1:8001",  # another port
        "https://127.0.0.1:8000",  # another scheme
        "http://127.0.0.1",  # the default port is another port
        "null",  # a sandboxed or file page
        "http://127.0.0.1:8000/path",  # not an origin
    ],
)
async def test_other_origins_are_refused(cookie, origin):
    assert not await connects(cookie, origin)


async def test_no_origin_is_refused(cookie):
    assert not await connects(cookie, None)


async def test_a_host_outside_allowed_hosts_is_refused_even_as_its_own_origin(cookie):
    """DNS rebinding: the attacker's name pointed at our address."""
    assert not await connects(cookie, "http://evil.example:8000", host="evil.example:8000")


async def test_csrf_trusted_origins_are_accepted_exactly(cookie, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example.com"]
    assert await connects(cookie, "https://chat.example.com")
    assert not await connects(cookie, "http://chat.example.com")
    assert not await connects(cookie, "https://chat.example.com:8443")


async def test_forwarded_proto_counts_only_behind_a_trusted_proxy(cookie, settings):
    https = [(b"x-forwarded-proto", b"https")]
    assert not await connects(cookie, "https://localhost", host="localhost", extra=https)
    settings.TRUST_PROXY_HEADERS = True
    assert await connects(cookie, "https://localhost", host="localhost", extra=https)
    assert not await connects(cookie, "http://localhost", host="localhost", extra=https)
