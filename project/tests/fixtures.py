"""Fixtures of the unit suites (pytest-django), loaded by the root conftest.py
when pytest-django is active: the e2e suite runs without it."""

import uuid

import pytest
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator


@pytest.fixture(autouse=True)
def single_process(settings):
    """Unit tests run on the in-memory layer and cache unless they ask for Redis."""
    settings.REDIS_URL = ""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }
    forget_backends()
    yield
    forget_backends()


def forget_backends():
    """Presence, socket counts and visibility each keep the backend made for
    the settings they last saw: tests switch settings between layers."""
    from realtime import presence, sockets, visibility

    presence._backend = sockets._registry = visibility._record = None


@pytest.fixture
def use_redis(settings, redis_url):
    """Switch this test to Redis, under key prefixes no other test shares."""
    from realtime import presence

    prefix = f"test-{uuid.uuid4().hex[:12]}"
    settings.REDIS_URL = redis_url
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "realtime.layer.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_url, "socket_timeout": 15}], "prefix": prefix},
        }
    }
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    }
    forget_backends()
    presence.KEY_PREFIX = prefix
    yield redis_url
    presence.KEY_PREFIX = "chat"
    channel_layers.backends.clear()


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="pw-alice-123")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password="pw-bob-123")


@pytest.fixture
def carol(django_user_model):
    return django_user_model.objects.create_user("carol", password="pw-carol-123")


@pytest.fixture
def conversation(alice, bob):
    """alice and bob's direct conversation."""
    from rooms.models import conversation_between

    return conversation_between(alice, [bob])[0]


@pytest.fixture
def lobby(db):
    from rooms.models import Room

    return Room.objects.ensure_lobby()[0]


@pytest.fixture
def private_room(db, alice):
    from rooms.models import Room

    room = Room.objects.create(name="Secret", slug="secret", is_private=True)
    room.members.add(alice)
    return room


@pytest.fixture
def archived_room(db):
    from rooms.models import Room

    return Room.objects.create(name="Old", slug="old", is_archived=True)


@pytest.fixture
def run_tasks(db, monkeypatch):
    """run_tasks(later=False): what the worker would do now (db_worker --batch);
    later=True first makes tasks scheduled for later (retries) due."""
    from django.utils import timezone
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    # The worker closes connections between tasks (as requests do); inside
    # the test's transaction that would close the test's own connection.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run(later=False):
        if later:
            DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=50,
            worker_id="test",
            excluded_queue_names=[],
        ).run()

    return run


# Text no message may hold (rooms.models.message.UNSENDABLE), as each way in
# may bring it: a JSON escape brings a lone surrogate, any of them a NUL.
UNSENDABLE_TEXTS = {
    "NUL": ("before\x00after", "U+0000"),
    "lone surrogate": ("before\ud800after", "U+D800"),
    "terminal escape": ("before\x1b[2Jafter", "U+001B"),
    "C1 control": ("before\x85after", "U+0085"),
}


@pytest.fixture(params=UNSENDABLE_TEXTS.values(), ids=UNSENDABLE_TEXTS.keys())
def unsendable(request):
    """(text, the character its refusal names), once per kind of character
    no message may hold. The tests run on the database of DATABASE_URL:
    SQLite by default, PostgreSQL (which refuses NUL itself) when set."""
    return request.param


# --- test WebSockets on the site's socket routes -----------------------------------------

# A handshake runs the connect's database work in a thread: on a busy CI
# machine (two cores, Chromium beside) it has been seen past channels'
# default of one second. The wait ends as soon as the answer comes.
HANDSHAKE_SECONDS = 10


class Sockets:
    """Opens test WebSockets and closes every one of them when the test ends,
    passed or failed: no test disconnects by hand to leave nothing behind."""

    def __init__(self):
        self.opened = []

    async def open(self, path, user=None, app=None, headers=None):
        """A communicator on `path` (as `user`, or through `app`'s middleware
        with `headers`), after its handshake; returns (communicator, accepted)."""
        from channels.routing import URLRouter

        from rooms.routing import websocket_urlpatterns

        communicator = WebsocketCommunicator(app or URLRouter(websocket_urlpatterns), path, headers=headers or [])
        if user is not None:
            communicator.scope["user"] = user
        self.opened.append(communicator)
        connected, _ = await communicator.connect(timeout=HANDSHAKE_SECONDS)
        return communicator, connected

    async def connect(self, user, slug="lobby"):
        communicator, connected = await self.open(f"/ws/rooms/{slug}/", user)
        assert connected
        return communicator

    async def joined(self, user, slug="lobby"):
        """A connected room socket whose own presence announcement has been read."""
        communicator = await self.connect(user, slug)
        assert 'id="presence"' in await communicator.receive_from()
        return communicator

    async def listening(self, user):
        """A socket of the room list page (/ws/rooms/)."""
        communicator, connected = await self.open("/ws/rooms/", user)
        assert connected
        return communicator

    async def close_all(self):
        for communicator in self.opened:
            if not communicator.future.done():
                await communicator.disconnect()
        self.opened.clear()


@pytest.fixture
async def ws():
    sockets = Sockets()
    yield sockets
    await sockets.close_all()
