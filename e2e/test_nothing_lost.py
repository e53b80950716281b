"""Nothing lost: several processes, a killed server, a restarted Redis, a hidden tab.

Each fault test is bounded in time by its explicit timeouts; recovery
durations are printed in the run's summary.
"""

import time

import pytest
from playwright.sync_api import expect

from e2e.conftest import HIDE, LIVE_TIMEOUT_MS, bodies, message_with, open_room, send

# htmx retries a dropped socket with backoff capped at 5 s (base.html), so a
# page is back within about that long once its server answers again.
RECOVERY_TIMEOUT_MS = 15_000


@pytest.fixture
def alice_and_bob(make_user):
    make_user("alice")
    make_user("bob")


def test_users_on_different_processes_see_each_other(alice_and_bob, cluster, sign_in):
    one, two = cluster
    alice = open_room(sign_in("alice", one))
    bob = open_room(sign_in("bob", two))
    for page in (alice, bob):
        expect(page.locator("#presence li")).to_have_text(["alice", "bob"], timeout=LIVE_TIMEOUT_MS)
    send(alice, "from process one")
    expect(message_with(bob, "from process one")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    send(bob, "from process two")
    expect(message_with(alice, "from process two")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    for page in (alice, bob):
        expect(bodies(page)).to_have_text(["from process one", "from process two"])


def test_killed_server_page_catches_up_once_in_order_and_its_presence_expires(alice_and_bob, cluster, sign_in, measure):
    one, two = cluster
    alice = open_room(sign_in("alice", one))
    bob = open_room(sign_in("bob", two))
    send(alice, "before the crash")
    expect(message_with(bob, "before the crash")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(bob.locator("#presence li")).to_have_text(["alice", "bob"], timeout=LIVE_TIMEOUT_MS)

    one.kill()
    killed_at = time.monotonic()
    expect(alice.locator("#room")).to_have_attribute("data-ws", "reconnecting", timeout=LIVE_TIMEOUT_MS)
    # Alice's entry was on the dead process: it expires (TTL 3 s + heartbeat 1 s here).
    expect(bob.locator("#presence li")).to_have_text(["bob"], timeout=10_000)
    presence_expired_after = time.monotonic() - killed_at

    missed = [f"missed {n}" for n in range(5)]
    for text in missed:
        send(bob, text)
        expect(message_with(bob, text)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)

    one.start()
    restarted_at = time.monotonic()
    expect(alice.locator("#room")).to_have_attribute("data-ws", "open", timeout=RECOVERY_TIMEOUT_MS)
    expect(bodies(alice)).to_have_text(["before the crash", *missed], timeout=LIVE_TIMEOUT_MS)
    recovered_after = time.monotonic() - restarted_at
    expect(bob.locator("#presence li")).to_have_text(["alice", "bob"], timeout=LIVE_TIMEOUT_MS)
    # And it is live again, through the restarted process.
    send(alice, "back")
    expect(message_with(bob, "back")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    measure(
        "server SIGKILLed and restarted",
        presence_expired_s=round(presence_expired_after, 1),
        page_recovered_s=round(recovered_after, 1),
        missed_messages_checked=len(missed),
        lost=0,
        duplicated=0,
    )


def test_pages_recover_from_a_redis_restart_without_a_server_restart(
    alice_and_bob, cluster, private_redis, sign_in, measure
):
    one, two = cluster
    alice = open_room(sign_in("alice", one))
    bob = open_room(sign_in("bob", two))
    expect(alice.locator("#presence li")).to_have_text(["alice", "bob"], timeout=LIVE_TIMEOUT_MS)

    private_redis.stop()
    for page in (alice, bob):
        expect(page.locator("#room")).not_to_have_attribute("data-ws", "open", timeout=10_000)
    status, body = health(one)
    assert status == 503 and body["database"] == "ok" and body["channel_layer"].startswith("error")
    # Pages are still served while Redis is away.
    page = alice.context.new_page()
    assert page.goto("/rooms/lobby/").status == 200
    page.close()

    private_redis.start()
    restarted_at = time.monotonic()
    for page in (alice, bob):
        expect(page.locator("#room")).to_have_attribute("data-ws", "open", timeout=RECOVERY_TIMEOUT_MS)
    for page in (alice, bob):
        expect(page.locator("#presence li")).to_have_text(["alice", "bob"], timeout=LIVE_TIMEOUT_MS)
    # Sent while the servers may still be shaking off dead Redis connections:
    # if its socket drops, the page sends it again when it reconnects.
    send(bob, "after redis came back")
    for page in (alice, bob):
        expect(message_with(page, "after redis came back")).to_have_count(1, timeout=RECOVERY_TIMEOUT_MS)
    recovered_after = time.monotonic() - restarted_at
    send(alice, "both ways")
    for page in (alice, bob):
        expect(message_with(page, "both ways")).to_have_count(1, timeout=RECOVERY_TIMEOUT_MS)
    for page in (alice, bob):
        expect(bodies(page)).to_have_text(["after redis came back", "both ways"])
    for srv in (one, two):
        assert health(srv) == (200, {"status": "ok", "database": "ok", "channel_layer": "ok"})
    measure("redis restarted", first_message_across_after_s=round(recovered_after, 1), messages_checked=2, lost=0)


def health(server):
    import json
    import urllib.request
    from urllib.error import HTTPError

    try:
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as response:
            return response.status, json.load(response)
    except HTTPError as error:
        return error.code, json.load(error)


def test_hidden_tab_stays_connected_and_up_to_date(alice_and_bob, make_user, sign_in, measure):
    """A background tab keeps its socket (mention notifications need it), so
    it follows messages and deletions live, and showing it again changes nothing."""
    from rooms.models import Message

    make_user("staff", is_staff=True, is_superuser=True)
    staff = sign_in("staff").new_page()
    alice = open_room(sign_in("alice"))
    bob = open_room(sign_in("bob"))
    send(bob, "seen while visible")
    send(bob, "deleted while hidden")
    expect(bodies(alice)).to_have_text(["seen while visible", "deleted while hidden"], timeout=LIVE_TIMEOUT_MS)

    alice.evaluate(HIDE, True)
    missed = [f"while hidden {n}" for n in range(4)]
    for text in missed:
        send(bob, text)
        expect(message_with(bob, text)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    doomed = Message.objects.get(text="deleted while hidden")
    staff.goto(f"/admin/rooms/message/{doomed.pk}/delete/")
    staff.click("input[type=submit]")
    expect(bodies(alice)).to_have_text(["seen while visible", *missed], timeout=LIVE_TIMEOUT_MS)
    expect(alice.locator("#room")).to_have_attribute("data-ws", "open")

    alice.evaluate(HIDE, False)
    expect(alice.locator("#room")).to_have_attribute("data-ws", "open")
    send(alice, "back")
    expect(bodies(bob)).to_have_text(["seen while visible", *missed, "back"], timeout=LIVE_TIMEOUT_MS)
    expect(bodies(alice)).to_have_text(["seen while visible", *missed, "back"], timeout=LIVE_TIMEOUT_MS)
    measure("tab hidden and shown", messages_checked=len(missed) + 1, deletions_checked=1, lost=0, duplicated=0)


def test_reload_after_sending_shows_each_message_once(alice_and_bob, sign_in):
    alice = open_room(sign_in("alice"))
    for n in range(3):
        send(alice, f"quick {n}")
    expect(bodies(alice)).to_have_text([f"quick {n}" for n in range(3)], timeout=LIVE_TIMEOUT_MS)
    alice.reload()
    expect(alice.locator("#room")).to_have_attribute("data-ws", "open")
    # The catch-up after connecting repeats nothing the page already shows.
    send(alice, "after reload")
    expect(bodies(alice)).to_have_text([*(f"quick {n}" for n in range(3)), "after reload"], timeout=LIVE_TIMEOUT_MS)
