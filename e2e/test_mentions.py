"""@mentions as people notice them: highlighted for everyone, strongly for the
person named, and a browser notification when their tab is in the background."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import HIDE, LIVE_TIMEOUT_MS, message_with, open_room, send
from e2e.test_nothing_lost import RECOVERY_TIMEOUT_MS

# Records every notification the page shows (and counts them on <html> for
# expect(): wait_for_function would need eval, which the CSP forbids), then
# shows the real one.
RECORD_NOTIFICATIONS = """(() => {
  const Real = window.Notification;
  window.__notifications = [];
  if (!Real) return;
  function Recorded(title, options) {
    window.__notifications.push({title: title, body: options && options.body, tag: options && options.tag});
    document.documentElement.dataset.notifications = window.__notifications.length;  // for expect()
    try { return new Real(title, options); } catch (error) { return {close() {}}; }
  }
  Object.defineProperty(Recorded, "permission", {get: () => Real.permission});
  Recorded.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recorded;
})();"""

MINE = re.compile(r"\bmentions-me\b")


def notifications(page):
    return page.evaluate("() => window.__notifications")


def notified(page, count):
    """The notifications so far, once there are `count` of them."""
    expect(page.locator("html")).to_have_attribute("data-notifications", str(count), timeout=LIVE_TIMEOUT_MS)
    return notifications(page)


def allow_notifications(context, server):
    context.grant_permissions(["notifications"], origin=server.url)
    context.add_init_script(RECORD_NOTIFICATIONS)
    return context


@pytest.fixture
def people(make_user):
    make_user("alice")
    make_user("bob")


def test_a_mention_is_highlighted_for_everyone_and_strongly_for_the_person_named(people, sign_in):
    alice = open_room(sign_in("alice"))
    bob = open_room(sign_in("bob"))
    send(alice, "hey @bob, ask @carol")
    for page in (alice, bob):
        expect(message_with(page, "hey")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    for moment in ("live", "after a reload"):
        if moment == "after a reload":
            bob.reload()
            alice.reload()
        for page in (alice, bob):
            mention = message_with(page, "hey").locator(".mention")
            expect(mention).to_have_text(["@bob"])  # carol has no account: plain text
        expect(message_with(bob, "hey")).to_have_class(MINE)
        expect(message_with(bob, "hey").locator(".mention")).to_have_class(re.compile(r"\bmention-me\b"))
        expect(message_with(alice, "hey")).not_to_have_class(MINE)
        expect(message_with(alice, "hey").locator(".mention")).not_to_have_class(re.compile(r"\bmention-me\b"))
        # Strongly: bob's highlight differs from what alice sees.
        styles = [
            message_with(page, "hey").locator(".mention").evaluate("el => getComputedStyle(el).backgroundColor")
            for page in (alice, bob)
        ]
        assert styles[0] != styles[1], moment


def test_a_mention_in_a_background_tab_notifies_once_with_author_and_text(people, sign_in, server):
    alice = open_room(sign_in("alice"))
    bob_context = allow_notifications(sign_in("bob"), server)
    send(alice, "@bob from before the page opened")
    bob = open_room(bob_context)
    bob_other_tab = open_room(bob_context)
    expect(bob.locator("#enable-notifications")).to_be_hidden()

    send(alice, "@bob while you look")  # visible tab: no notification
    expect(message_with(bob, "while you look")).to_have_class(MINE, timeout=LIVE_TIMEOUT_MS)
    bob.evaluate(HIDE, True)
    send(alice, "no mention here")
    send(bob_other_tab, "@bob talking to myself")
    expect(message_with(bob, "talking to myself")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    send(alice, "lunch? @bob <b>now</b> " + "x" * 300)
    notices = notified(bob, 1)
    assert notices == [
        {
            "title": "alice mentioned you in #lobby",
            "body": "lunch? @bob <b>now</b> " + "x" * 116 + "…",
            "tag": notices[0]["tag"],
        }
    ]
    expect(message_with(bob, "lunch?")).to_have_id(notices[0]["tag"])
    # Not the history, not the visible tab's, not his own message.
    assert len(notifications(bob)) == 1
    assert notifications(bob_other_tab) == []

    send(alice, "@bob second")
    assert [n["body"] for n in notified(bob, 2)] == [notices[0]["body"], "@bob second"]


def test_the_enable_button_asks_for_permission_and_then_goes_away(people, sign_in, server):
    bob_context = sign_in("bob")
    bob_context.add_init_script("""Notification.requestPermission = () => {
      window.__asked = true;
      Object.defineProperty(Notification, "permission", {configurable: true, get: () => "granted"});
      return Promise.resolve("granted");
    };""")
    bob = open_room(bob_context)
    button = bob.locator("#enable-notifications")
    expect(button).to_be_visible()
    expect(button).to_have_text("Enable notifications")
    button.click()
    expect(button).to_be_hidden()
    assert bob.evaluate("() => window.__asked") is True


def test_a_mention_across_processes_and_a_server_restart_notifies_once(people, cluster, sign_in):
    one, two = cluster
    alice = open_room(sign_in("alice", one))
    bob = open_room(allow_notifications(sign_in("bob", two), two))
    bob.evaluate(HIDE, True)
    send(alice, "@bob from process one")
    expect(message_with(bob, "from process one")).to_have_class(MINE, timeout=LIVE_TIMEOUT_MS)
    assert [n["body"] for n in notified(bob, 1)] == ["@bob from process one"]

    # Bob's server dies while his tab is in the background: what he missed
    # arrives with the catch-up and notifies once; nothing notifies twice.
    two.kill()
    expect(bob.locator("#room")).to_have_attribute("data-ws", "reconnecting", timeout=LIVE_TIMEOUT_MS)
    send(alice, "@bob while your server was down")
    expect(message_with(alice, "while your server was down")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    two.start()
    expect(message_with(bob, "while your server was down")).to_have_class(MINE, timeout=RECOVERY_TIMEOUT_MS)
    notices = notified(bob, 2)
    assert [n["title"] for n in notices] == ["alice mentioned you in #lobby"] * 2
    assert [n["body"] for n in notices] == ["@bob from process one", "@bob while your server was down"]
