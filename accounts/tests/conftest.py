import uuid

import pytest

from accounts.models import Invitation
from rooms.models import Room

PASSWORD = "a-long-pass-9876"


@pytest.fixture(autouse=True)
def own_cache(settings):
    """A cache of this test's own: throttle counters never leak between tests."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": uuid.uuid4().hex}}


@pytest.fixture
def lobby(db):
    return Room.objects.ensure_lobby()[0]


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="pw-alice-123")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("staff", password="pw-staff-123", is_staff=True)


@pytest.fixture
def invitation(staff):
    return Invitation.objects.create_for(created_by=staff, uses=2, hours=1)


def signup_data(username, **extra):
    return {"username": username, "password1": PASSWORD, "password2": PASSWORD, **extra}
