"""Web Push end to end: a page subscribes its browser from /settings/, and
with no page on screen a mention reaches the push service (a double on
127.0.0.1, decrypted here with the browser's keys); the service worker
shows what it received.

Headless Chromium has no push service to subscribe with (its pushManager
rejects every subscribe), so the page's PushManager is given a
subscription built here, with keys made here: everything after it (the
page's POST with its CSRF token, the server, the worker, encryption and
signing, the service worker's notification) is the real thing."""

import json
import time

import pytest
from playwright.sync_api import expect

from e2e.conftest import HIDE, LIVE_TIMEOUT_MS, message_with, open_room, send
from push import vapid
from push.tests.doubles import Browser, PushService

# The browser's push manager, answering with `subscription` (what toJSON() gives).
FAKE_PUSH_MANAGER = """(subscription => {
  let current = null;
  PushManager.prototype.getSubscription = async function () { return current; };
  PushManager.prototype.subscribe = async function (options) {
    current = {options: options, endpoint: subscription.endpoint, toJSON: () => subscription,
               unsubscribe: async () => { current = null; return true; }};
    return current;
  };
})(%s);"""

# Seconds a push may take: the worker polls every 0.1 s.
PUSH_TIMEOUT = 10


@pytest.fixture
def push_service():
    with PushService() as service:
        yield service


@pytest.fixture
def push_server(server_with, worker_with, private_redis):
    """A server and its worker with VAPID keys, both on one Redis (the
    worker reads which pages are on screen there)."""
    public, private = vapid.new_pair()
    env = {"VAPID_PUBLIC_KEY": public, "VAPID_PRIVATE_KEY": private, "CHAT_PUSH_ALLOW_PRIVATE": "true"}
    server = server_with(**env)
    worker_with(REDIS_URL=private_redis.url, **env)
    server.vapid_public_key = public
    return server


def pushes(service, count):
    """The first `count` pushes the service received, once it has them."""
    deadline = time.monotonic() + PUSH_TIMEOUT
    while len(service.received) < count:
        assert time.monotonic() < deadline, f"{len(service.received)} pushes, not {count}, in {PUSH_TIMEOUT} s"
        time.sleep(0.05)
    return service.received[:count]


def test_a_device_enabled_in_settings_is_pushed_a_mention_only_while_no_page_is_on_screen(
    make_user, sign_in, push_server, push_service
):
    from django_tasks_db.models import DBTaskResult

    from push.models import PushSubscription

    make_user("alice")
    make_user("bob")
    browser = Browser(f"{push_service.origin}/send/alice-phone")
    alice_context = sign_in("alice", push_server)
    alice_context.grant_permissions(["notifications"], origin=push_server.url)
    alice_context.add_init_script(FAKE_PUSH_MANAGER % json.dumps(browser.to_json()))

    settings_page = alice_context.new_page()
    settings_page.goto("/settings/")
    expect(settings_page.locator("#push-devices")).to_have_text("No device gets notifications yet.")
    settings_page.get_by_role("button", name="Enable notifications on this device").click()
    expect(settings_page.locator(".push-device-name")).to_have_text("Chrome on Linux")
    saved = PushSubscription.objects.get()
    assert (saved.endpoint, saved.server_key) == (browser.endpoint, push_server.vapid_public_key)
    settings_page.close()

    alice = open_room(alice_context)
    bob = open_room(sign_in("bob", push_server))
    send(bob, "@alice while you look")
    expect(message_with(alice, "while you look")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    alice.evaluate(HIDE, True)  # her only page goes to the background
    send(bob, "@alice while you are away")
    [(_path, _headers, body)] = pushes(push_service, 1)
    payload = browser.read(body)
    tag = message_with(alice, "while you are away").get_attribute("id")
    assert payload == {
        "author": "bob",
        "room": "# Lobby",
        "direct": False,
        "mention": True,
        "text": "@alice while you are away",
        "url": f"/rooms/lobby/messages/{tag.removeprefix('message-')}/",
        "tag": tag,
    }
    # The mention she had on screen was never pushed: it was not even queued,
    # since she was looking when it was saved.
    [task] = DBTaskResult.objects.filter(task_path="push.tasks.push_message")
    assert task.status == "SUCCESSFUL" and task.return_value == {"devices": 1, "people": [saved.user_id]}
    assert len(push_service.received) == 1

    # What the push service would hand the browser: its service worker shows it.
    cdp = alice_context.new_cdp_session(alice)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    alice.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    deadline = time.monotonic() + 5
    while not registrations:
        assert time.monotonic() < deadline, "no service worker registration reported"
        alice.wait_for_timeout(50)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": push_server.url, "registrationId": registrations[0]["registrationId"], "data": json.dumps(payload)},
    )
    shown = alice.evaluate("""async () => {
      const registration = await navigator.serviceWorker.ready;
      for (let i = 0; i < 100; i++) {
        const shown = await registration.getNotifications();
        if (shown.length) return shown.map((n) => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url}));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return [];
    }""")
    assert shown == [
        {
            "title": "bob mentioned you in # Lobby",
            "body": "@alice while you are away",
            "tag": payload["tag"],
            "url": payload["url"],
        }
    ]
