"""Logins and sign-ups are throttled per username and per client address."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from accounts import throttle

from .conftest import signup_data

pytestmark = pytest.mark.django_db
User = get_user_model()
ROOT = Path(__file__).resolve().parents[2]


def login(client, username, password="wrong password", address="203.0.113.7", **headers):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def signed_in(client):
    return "_auth_user_id" in client.session


def test_after_five_failures_even_the_right_password_gets_429_saying_when(client, alice):
    for _ in range(5):
        assert login(client, "alice").status_code == 200
    response = login(client, "alice", "pw-alice-123")
    assert response.status_code == 429 and not signed_in(client)
    html = response.content.decode()
    assert "Too many attempts" in html and "try again after" in html
    until = throttle.blocked_until(throttle.LOGIN, response.wsgi_request, "alice")
    assert f'<time datetime="{until.isoformat()}">{until:%H:%M} UTC</time>' in html
    assert 890 <= int(response["Retry-After"]) <= 901


def test_the_username_is_locked_from_every_address_and_whatever_its_case(client, alice):
    for n in range(5):
        login(client, "alice", address=f"198.51.100.{n}")
    assert login(client, "ALICE", "pw-alice-123", address="192.0.2.99").status_code == 429


def test_one_address_is_locked_whatever_usernames_it_tries(client, alice):
    for n in range(5):
        login(client, f"guess{n}")
    assert login(client, "alice", "pw-alice-123").status_code == 429
    assert login(client, "alice", "pw-alice-123", address="192.0.2.99").status_code == 302


def test_a_success_resets_nobodys_counter(client, alice, django_user_model):
    django_user_model.objects.create_user("bob", password="pw-bob-123")
    for _ in range(4):
        login(client, "alice", address="198.51.100.1")
    assert login(client, "bob", "pw-bob-123", address="198.51.100.1").status_code == 302
    client.logout()
    assert login(client, "alice", "pw-alice-123", address="192.0.2.5").status_code == 302
    client.logout()
    login(client, "alice", address="192.0.2.6")  # the fifth failure for alice
    assert login(client, "alice", "pw-alice-123", address="192.0.2.7").status_code == 429


def test_the_lockout_ends_when_the_window_has_passed(client, alice, monkeypatch, settings):
    settings.CHAT_LOGIN_WINDOW_SECONDS = 60
    for _ in range(5):
        login(client, "alice")
    assert login(client, "alice", "pw-alice-123").status_code == 429
    now = throttle.time.time()
    monkeypatch.setattr(throttle.time, "time", lambda: now + 61)
    assert login(client, "alice", "pw-alice-123").status_code == 302


def test_the_admin_login_counts_and_is_locked_too(client, alice):
    for _ in range(3):
        client.post("/admin/login/", {"username": "alice", "password": "nope"}, REMOTE_ADDR="203.0.113.7")
    for _ in range(2):
        login(client, "alice")
    response = client.post(
        "/admin/login/", {"username": "alice", "password": "pw-alice-123"}, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 429


def test_forged_forwarded_for_does_not_escape_the_lockout(client, alice, settings):
    for n in range(5):
        login(client, f"guess{n}", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert login(client, "alice", "pw-alice-123", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_behind_a_trusted_proxy_the_address_it_appended_counts(client, alice, settings):
    settings.TRUST_PROXY_HEADERS = True
    # Each client's own X-Forwarded-For entries differ; the router's appended last entry is the same client.
    for n in range(5):
        login(client, f"guess{n}", address="10.1.1.1", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 198.51.100.20")
    assert (
        login(client, "alice", "pw-alice-123", address="10.1.1.1", HTTP_X_FORWARDED_FOR="198.51.100.20").status_code
        == 429
    )
    # Another client behind the same router is not locked out.
    assert (
        login(client, "alice", "pw-alice-123", address="10.1.1.1", HTTP_X_FORWARDED_FOR="198.51.100.21").status_code
        == 302
    )


def test_twenty_five_signups_from_one_client_do_not_get_through(client, settings, alice):
    settings.CHAT_SIGNUP = "open"
    statuses = []
    for n in range(25):
        client.logout()
        statuses.append(
            client.post("/accounts/signup/", signup_data(f"sock{n}"), REMOTE_ADDR="203.0.113.9").status_code
        )
    assert statuses[:5] == [302] * 5 and set(statuses[5:]) == {429}
    assert User.objects.filter(username__startswith="sock").count() == 5
    # Failed attempts count too; another client may still sign up.
    assert client.post("/accounts/signup/", signup_data("neighbour"), REMOTE_ADDR="203.0.113.10").status_code == 302


def test_the_first_run_is_throttled_as_a_signup(client):
    for _ in range(5):
        client.post("/accounts/first-run/", {"username": "x", "password1": "a", "password2": "b"})
    assert client.post("/accounts/first-run/", signup_data("founder")).status_code == 429
    assert not User.objects.exists()


@pytest.mark.redis
def test_every_process_counts_together_on_redis(client, alice, settings, redis_url):
    """Failures counted by another process (its own Redis connection) lock this one out."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "chat",
        }
    }
    username = f"victim-{uuid.uuid4().hex[:8]}"
    User.objects.create_user(username, password="pw-victim-123")
    script = (
        "from django.test import RequestFactory\n"
        "from accounts import throttle\n"
        "request = RequestFactory().post('/accounts/login/', REMOTE_ADDR='192.0.2.200')\n"
        f"for _ in range(5): throttle.record(throttle.LOGIN, request, {username!r})\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "project.settings"},
    )
    assert result.returncode == 0, result.stderr
    assert login(client, username, "pw-victim-123", address="192.0.2.201").status_code == 429
