"""Fixtures of the unit suites (pytest-django), loaded by the root conftest.py
when pytest-django is active: the e2e suite runs without it."""

import uuid

import pytest
from channels.layers import channel_layers


@pytest.fixture(autouse=True)
def single_process(settings):
    """Unit tests run on the in-memory layer and cache unless they ask for Redis."""
    settings.REDIS_URL = ""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": uuid.uuid4().hex}}
    from realtime import presence, sockets, visibility

    presence.reset()
    sockets.reset()
    visibility.reset()
    yield
    presence.reset()
    sockets.reset()
    visibility.reset()


@pytest.fixture
def use_redis(settings, redis_url):
    """Switch this test to Redis, under key prefixes no other test shares."""
    from realtime import presence, sockets, visibility

    prefix = f"test-{uuid.uuid4().hex[:12]}"
    settings.REDIS_URL = redis_url
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_url, "socket_timeout": 15}], "prefix": prefix},
        }
    }
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url,
                    "KEY_PREFIX": prefix}
    }
    presence.reset()
    sockets.reset()
    visibility.reset()
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
        Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
               max_tasks=50, worker_id="test", excluded_queue_names=[]).run()

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
