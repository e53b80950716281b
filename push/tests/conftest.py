"""Fixtures of the push tests: VAPID keys, a push service the tests run
and browsers subscribed to it (doubles.py)."""

import pytest

from push import vapid

from .doubles import Browser, PushService


@pytest.fixture
def push_on(settings):
    """VAPID keys of this test's own, and a push service on 127.0.0.1 allowed."""
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = vapid.new_pair()
    settings.CHAT_PUSH_ALLOW_PRIVATE = True
    settings.CHAT_BASE_URL = "https://chat.example.com"
    return settings


@pytest.fixture
def push_service():
    with PushService() as service:
        yield service


@pytest.fixture
def browser_of(push_service):
    """browser_of(name): a browser subscribed at the push service (not saved yet)."""
    return lambda name: Browser(f"{push_service.origin}/send/{name}")


@pytest.fixture
def device(push_on, client, browser_of):
    """device(user, name=username): a browser of `user`, subscribed through the page's POST."""

    def subscribe(user, name=None):
        browser = browser_of(name or user.get_username())
        client.force_login(user)
        answer = client.post(
            "/push/subscriptions/",
            browser.to_json(),
            content_type="application/json",
            headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36"},
        )
        assert answer.status_code == 201, answer.content
        client.logout()
        return browser

    return subscribe
