"""Fixtures of the accounts tests; alice, lobby and a cache of each test's own
come from project/tests/fixtures.py."""

import pytest

from accounts.models import Invitation

PASSWORD = "a-long-pass-9876"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("staff", password="pw-staff-123", is_staff=True)


@pytest.fixture
def invitation(staff):
    return Invitation.objects.create_for(created_by=staff, uses=2, hours=1)


def signup_data(username, **extra):
    return {"username": username, "password1": PASSWORD, "password2": PASSWORD, **extra}
