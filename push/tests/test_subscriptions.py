"""Saving a device: the page POSTs PushSubscription.toJSON() with its CSRF
token (201), DELETEs it to end it; bad input gets a clear JSON answer and
saves nothing; endpoints are checked like webhook addresses; the settings
page lists the devices and removes one."""

import json

import pytest
from django.test import Client

from push.models import PushSubscription, device_label

pytestmark = pytest.mark.django_db

URL = "/push/subscriptions/"


def post(client, data, method="post"):
    body = data if isinstance(data, str) else json.dumps(data)
    return getattr(client, method)(URL, body, content_type="application/json")


@pytest.fixture
def alice_client(client, alice, push_on):
    client.force_login(alice)
    return client


def test_a_subscription_is_saved_for_its_device_and_deleted_by_its_endpoint(alice_client, alice, browser_of):
    browser = browser_of("phone")
    answer = alice_client.post(
        URL,
        browser.to_json(),
        content_type="application/json",
        headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0"},
    )
    assert answer.status_code == 201
    saved = PushSubscription.objects.get()
    assert answer.json() == {"id": saved.pk, "device": "Firefox on Windows"}
    assert (saved.user, saved.endpoint, saved.info()["keys"]) == (alice, browser.endpoint, browser.to_json()["keys"])
    # Saving it again (the page asks again) keeps one device.
    assert post(alice_client, browser.to_json()).status_code == 201
    assert PushSubscription.objects.count() == 1
    assert post(alice_client, {"endpoint": browser.endpoint}, "delete").status_code == 204
    assert not PushSubscription.objects.exists()
    answer = post(alice_client, {"endpoint": browser.endpoint}, "delete")
    assert answer.status_code == 404 and answer.json() == {"error": "You have no device with that endpoint."}


def test_a_device_follows_whoever_subscribes_on_it_last(alice_client, bob, browser_of):
    browser = browser_of("shared")
    post(alice_client, browser.to_json())
    alice_client.force_login(bob)
    assert post(alice_client, browser.to_json()).status_code == 201
    assert PushSubscription.objects.get().user == bob


BAD = {
    "not JSON": ("{nope", "The body is not JSON."),
    "not an object": ("[]", "The body is not a JSON object."),
    "no endpoint": ({"keys": {}}, "'endpoint' is missing or not text."),
    "endpoint not text": ({"endpoint": 5}, "'endpoint' is missing or not text."),
    "no keys": ({"endpoint": "https://push.example.com/x"}, "'keys' must hold 'p256dh' and 'auth' as text."),
    "keys not base64url": (
        {"endpoint": "https://push.example.com/x", "keys": {"p256dh": "%%%", "auth": "%%%"}},
        "'p256dh' is not base64url.",
    ),
    "short keys": (
        {"endpoint": "https://push.example.com/x", "keys": {"p256dh": "AAAA", "auth": "AAAA"}},
        "'p256dh' must be 65 bytes and 'auth' 16 (base64url).",
    ),
    "not a point": (
        {"endpoint": "https://push.example.com/x", "keys": {"p256dh": "BA" + "A" * 85, "auth": "A" * 22}},
        "'p256dh' is not a point of the P-256 curve.",
    ),
    "keys not an object": ({"endpoint": "https://push.example.com/x", "keys": None}, "'keys' must hold"),
}


@pytest.mark.parametrize(("body", "reason"), BAD.values(), ids=BAD.keys())
def test_malformed_subscriptions_are_refused_saying_why(alice_client, body, reason):
    answer = post(alice_client, body)
    assert answer.status_code == 400 and answer["Content-Type"] == "application/json"
    assert answer.json()["error"].startswith(reason)
    assert not PushSubscription.objects.exists()


def test_endpoints_must_be_https_on_public_addresses(alice_client, browser_of, settings):
    settings.CHAT_PUSH_ALLOW_PRIVATE = False
    keys = browser_of("x").to_json()["keys"]
    for endpoint, reason in [
        ("http://push.example.com/x", "A push endpoint must be an https:// URL with a host."),
        (
            "https://127.0.0.1/x",
            "127.0.0.1 resolves to 127.0.0.1, a loopback address: push endpoints must be on public addresses.",
        ),
        (
            "https://[::ffff:10.0.0.1]/x",
            "::ffff:10.0.0.1 resolves to ::ffff:10.0.0.1, a private address: "
            "push endpoints must be on public addresses.",
        ),
        (
            "https://169.254.169.254/latest",
            "169.254.169.254 resolves to 169.254.169.254, a link-local address: "
            "push endpoints must be on public addresses.",
        ),
    ]:
        answer = post(alice_client, {"endpoint": endpoint, "keys": keys})
        assert (answer.status_code, answer.json()) == (400, {"error": reason}), endpoint
    assert not PushSubscription.objects.exists()


def test_a_subscription_needs_a_session_its_csrf_token_and_push_on(alice, browser_of, push_on, settings):
    body = json.dumps(browser_of("x").to_json())
    anonymous = Client()
    answer = anonymous.post(URL, body, content_type="application/json")
    assert answer.status_code == 401 and answer.json() == {"error": "Sign in first: devices belong to a person."}
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(alice)
    assert forged.post(URL, body, content_type="application/json").status_code == 403
    signed_in = Client()
    signed_in.force_login(alice)
    assert signed_in.get(URL).status_code == 405
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = ""
    answer = signed_in.post(URL, body, content_type="application/json")
    assert answer.status_code == 503
    assert answer.json()["error"].startswith("Push notifications are off on this server: it has no VAPID keys")
    assert not PushSubscription.objects.exists()


def test_the_settings_page_lists_ones_devices_and_removes_one(client, alice, bob, device):
    device(alice)
    device(bob)
    client.force_login(alice)
    page = client.get("/settings/").content.decode()
    assert page.count('class="push-device"') == 1 and "Chrome on Android" in page
    assert 'id="enable-push"' in page and '<meta name="push-key" content="' in page
    alices = PushSubscription.objects.get(user=alice)
    bobs = PushSubscription.objects.get(user=bob)
    assert client.post(f"/push/devices/{bobs.pk}/remove/").status_code == 404  # not hers
    answer = client.post(f"/push/devices/{alices.pk}/remove/", follow=True)
    assert "Removed Chrome on Android: it gets no more notifications." in answer.content.decode()
    assert list(PushSubscription.objects.all()) == [bobs]
    assert "No device gets notifications yet." in answer.content.decode()


def test_without_keys_the_settings_page_says_push_is_off(client, alice, settings):
    settings.VAPID_PUBLIC_KEY = settings.VAPID_PRIVATE_KEY = ""
    client.force_login(alice)
    page = client.get("/settings/").content.decode()
    assert "Notifications on devices are off on this server: it has no VAPID keys" in page
    assert 'id="enable-push"' not in page and 'name="push-key"' not in page


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
            "Version/18.0 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0",
            "Edge on macOS",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36", "Chrome on Linux"),
        ("", "A browser"),
    ],
)
def test_a_device_is_named_by_its_browser_and_system(agent, label):
    assert device_label(agent) == label
