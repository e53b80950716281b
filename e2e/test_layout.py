"""Layout: from a 360 px phone to a wide screen, light and dark, nothing
scrolls sideways, the composer stays usable, and arriving messages do not
move what the reader is looking at. With --screenshots DIR (make
screenshots) these tests also save what they checked as PNGs."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import (
    CONVERSATION,
    LIVE_TIMEOUT_MS,
    LOOKS,
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    bodies,
    direct_conversation,
    message_with,
    open_room,
    seed_conversation,
    send,
)

LONG_LINK = CONVERSATION[4][1]


@pytest.fixture
def busy_lobby():
    """The lobby mid-morning, next to a few other rooms; returns the people in it."""
    from rooms.models import Room

    Room.objects.filter(slug="lobby").update(topic="Say hello; everything else goes in its own room")
    lobby = Room.objects.get(slug="lobby")
    users = seed_conversation(lobby)
    add_reactions_and_replies(lobby, users)
    Room.objects.create(name="Releases", slug="releases", topic="Release planning, checklists and go/no-go calls")
    Room.objects.create(
        name="Design reviews", slug="design", topic="Screens and flows before they ship", is_private=True
    ).members.add(users["alice"])
    Room.objects.create(name="Launch 2023", slug="launch-2023", topic="How we shipped v1", is_archived=True)
    # Two conversations of alice's in the sidebar, one unread.
    direct_conversation("alice", "bob", text="Thanks for the review!")
    direct_conversation("alice", "carol", "dan", text="Who takes the release call at 3?")
    return users


def add_reactions_and_replies(room, users):
    """Reactions on two messages and two of the conversation's answers made
    replies, quoting what they answer (the long link among them)."""
    from rooms.models import Message, Reaction

    def said(start):
        return Message.objects.get(room=room, text__startswith=start)

    for name, emoji in [("alice", "🎉"), ("carol", "🎉"), ("dan", "👍"), ("bob", "👍")]:
        Reaction.objects.create(message=said("Morning all!"), user=users[name], emoji=emoji)
    Reaction.objects.create(message=said("Android fix merged"), user=users["alice"], emoji="🚀")
    for answer, original in [("Thanks, I'll review", "https://git.example.com"), ("Guilty.", "Someone named")]:
        Message.objects.filter(pk=said(answer).pk).update(reply_to=said(original), is_reply=True)


@pytest.mark.parametrize("look", LOOKS)
def test_room_list_and_busy_room_fit_the_screen(look, busy_lobby, sign_in, screenshot):
    others = [open_room(sign_in(name)) for name in ("bob", "carol")]
    alice = sign_in("alice", **LOOKS[look])

    page = alice.new_page()
    page.goto("/")
    expect(page.locator("#room-list a")).to_have_count(4)
    expect(page.locator("#dm-list .room-name")).to_have_text(["carol, dan", "bob"])
    assert_no_horizontal_scroll(page)
    screenshot(page, f"room-list-{look}")

    page = open_room(alice)
    expect(page.locator("#presence li")).to_have_text(["alice", "bob", "carol"], timeout=LIVE_TIMEOUT_MS)
    expect(bodies(page)).to_have_count(len(CONVERSATION))
    expect(page.locator("#messages .reply-quote")).to_have_count(2)
    expect(page.locator('#messages .reaction[aria-pressed="true"]')).to_have_count(2)  # alice's own
    assert_no_horizontal_scroll(page)
    # The long link wraps inside the history instead of widening it.
    assert page.evaluate("(el) => el.scrollWidth <= el.clientWidth", page.locator("#messages").element_handle())
    link_box = message_with(page, LONG_LINK).locator(".message-body").bounding_box()
    history_box = page.locator("#messages").bounding_box()
    assert link_box["x"] + link_box["width"] <= history_box["x"] + history_box["width"]
    # The newest message and the composer are on screen, without scrolling the page.
    expect(bodies(page).last).to_be_in_viewport()
    composer = page.locator("#message-input")
    expect(composer).to_be_in_viewport()
    expect(page.locator("#message-form button[type=submit]")).to_be_in_viewport()
    screenshot(page, f"room-{look}")

    # And it works: a new message shows for everyone, the composer still on screen.
    if LOOKS[look].get("has_touch"):
        composer.tap()
    else:
        composer.click()
    page.keyboard.type("On my way to the release call")
    page.keyboard.press("Enter")
    for tab in [page, *others]:
        expect(message_with(tab, "On my way to the release call")).to_be_in_viewport(timeout=LIVE_TIMEOUT_MS)
    expect(composer).to_be_in_viewport()
    assert_no_horizontal_scroll(page)


def test_a_quiet_room_on_a_phone_still_gives_the_history_the_screen(make_user, sign_in):
    make_user("alice")
    page = open_room(sign_in("alice", **LOOKS["phone"]))
    send(page, "first!")
    expect(bodies(page)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    history = page.locator("#messages").bounding_box()
    assert history["height"] > PHONE["height"] / 2, history
    expect(page.locator("#message-input")).to_be_in_viewport()


# Layout shift score (the Layout Instability API, as in Core Web Vitals' CLS)
# allowed while messages arrive. A 'good' page stays under 0.1 over its whole
# life; one line of text (~20 px) pushing the room down scores 0.012 at
# 1280x800 and 0.023 at 360x740 (measured with the typing line moved above
# the header), so 0.005 tolerates sub-pixel rounding only.
MAX_SHIFT = 0.005

OBSERVE_SHIFTS = """() => {
    window.__shifts = [];
    new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
            window.__shifts.push({
                value: entry.value, recentInput: entry.hadRecentInput,
                moved: entry.sources.map((s) => s.node ? (s.node.id || s.node.className || s.node.nodeName) : "?"),
                // Where it sat, for a failure's message: a text node's parent, its text, the rectangles.
                where: entry.sources.map((s) => ({
                    parent: s.node && s.node.parentElement
                        ? (s.node.parentElement.id || s.node.parentElement.className) : "",
                    text: s.node ? (s.node.textContent || "").slice(0, 40) : "",
                    from: [s.previousRect.x, s.previousRect.y, s.previousRect.width, s.previousRect.height],
                    to: [s.currentRect.x, s.currentRect.y, s.currentRect.width, s.currentRect.height],
                })),
            });
        }
    }).observe({type: "layout-shift"});
}"""


@pytest.mark.parametrize("look", ["desktop", "phone"])
def test_arriving_messages_do_not_shift_the_layout(look, busy_lobby, sign_in, measure):
    bob = open_room(sign_in("bob"))
    alice = open_room(sign_in("alice", **LOOKS[look]))
    expect(bodies(alice)).to_have_count(len(CONVERSATION))
    alice.evaluate(OBSERVE_SHIFTS)
    # Bob types (alice sees "bob is typing…", gone when his message lands).
    bob.fill("#message-input", "Standup in 5")
    expect(alice.locator("#typing")).to_have_text("bob is typing…", timeout=LIVE_TIMEOUT_MS)
    texts = ["Standup in 5", "Long one: " + "all work and no play makes a dull chat " * 6, "x" * 120, "ok"]
    for text in texts:
        send(bob, text)
        expect(bodies(alice).last).to_have_text(text, timeout=LIVE_TIMEOUT_MS)
        expect(bodies(alice).last).to_be_in_viewport()
    # People come and go: "Here now" changes, the history stays put.
    for name in ("carol", "dan"):
        open_room(sign_in(name))
        expect(alice.locator(f'#presence [data-username="{name}"]')).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(alice.locator("#typing")).to_be_empty()
    # Reading further up while more arrive: the pill appears, nothing moves.
    alice.locator("#messages").evaluate("(el) => { el.scrollTop = 0; }")
    send(bob, "one more while alice reads")
    expect(alice.locator("#new-messages")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    # Let a frame pass so any shift of the last change is reported.
    alice.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    shifts = [s for s in alice.evaluate("window.__shifts") if not s["recentInput"]]
    score = sum(s["value"] for s in shifts)
    measure(f"layout shift while messages arrived ({look})", score=f"{score:.4f}", messages=len(texts) + 1)
    assert score <= MAX_SHIFT, shifts


# Runs of messages (consecutive, from one author within minutes) with long
# lines, as a release morning has them: the second and later of each run
# show no header, so their actions have no header line to sit in.
RUNS = [
    ("alice", "Build 1 (web) passed in 4 min 12 s, artifacts uploaded to the release bucket"),
    ("alice", "Build 2 (android) failed: the signing key expired yesterday, renewing it now"),
    ("alice", "Deploying 2.4.0-rc3 to staging now, smoke tests next, then the canary at 5%"),
    ("bob", "Thanks! I'll watch the dashboards while it rolls out to the first users"),
    ("bob", "Error rate is flat, latency p99 at 180 ms, looks healthy so far"),
    ("bob", "ok"),
    ("alice", "Rolling out to 50% at 11:00 unless someone shouts"),
]

# Where action controls and message text meet on screen: the text's own
# boxes (a line wraps around a floating toolbar; its block does not), and
# every actions control that takes room, shown or not (hovering shows them
# without moving anything), except inside an open sheet.
OVERLAPS = """() => {
    const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const text = [];
    for (const body of document.querySelectorAll("#messages .message-body")) {
        const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const range = document.createRange();
            range.selectNodeContents(node);
            for (const rect of range.getClientRects()) text.push({text: body.textContent.slice(0, 24), rect});
        }
    }
    const controls = [...document.querySelectorAll(
        "#messages .message-actions, #messages .message-action, #messages .message-menu-button")]
        .filter((el) => !el.closest(".message-sheet") && el.checkVisibility())
        .map((el) => ({name: el.getAttribute("aria-label") || el.className, rect: el.getBoundingClientRect()}))
        .filter((control) => control.rect.width > 1 && control.rect.height > 1);
    const hits = [];
    for (const control of controls) {
        for (const line of text) if (meets(control.rect, line.rect)) hits.push(`${control.name} over "${line.text}"`);
    }
    return {controls: controls.length, hits};
}"""


@pytest.fixture
def release_runs():
    """RUNS in the lobby yesterday from 09:00, a minute apart; alice's and bob's."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from rooms.models import Message, Room

    lobby = Room.objects.get(slug="lobby")
    people = {name: get_user_model().objects.create_user(name, password=f"pw-{name}-e2e") for name in ("alice", "bob")}
    start = (timezone.now() - datetime.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    for n, (name, text) in enumerate(RUNS):
        message = Message.objects.create(room=lobby, author=people[name], text=text)
        Message.objects.filter(pk=message.pk).update(created_at=start + datetime.timedelta(minutes=n))
    return people


def assert_no_action_covers_text(page):
    found = page.evaluate(OVERLAPS)
    assert found["hits"] == [], found["hits"]
    return found["controls"]


PHONE_375 = {**LOOKS["phone"], "viewport": {"width": 375, "height": 740}}


def test_on_a_touch_phone_no_action_covers_text_and_a_tap_opens_them(release_runs, sign_in, screenshot):
    page = open_room(sign_in("bob", **PHONE_375))
    expect(bodies(page)).to_have_count(len(RUNS))
    expect(page.locator("#messages .message.continued")).to_have_count(4)
    # Nothing of any message's actions is on the history: the text is all there is.
    assert assert_no_action_covers_text(page) == 0
    assert_no_horizontal_scroll(page)

    # A tap on a message (one inside a run) opens its actions as a sheet.
    second = message_with(page, "Build 2 (android)")
    second.locator(".message-body").tap()
    sheet = page.get_by_role("dialog", name="alice · 09:01")
    expect(sheet).to_be_visible()
    expect(sheet.locator(".message-sheet-quote")).to_have_text(RUNS[1][1])
    expect(sheet.locator("button[data-action]")).to_have_text(["Reply", "React", "Copy link"])
    # At the bottom of the screen, its buttons comfortable to tap.
    box = sheet.bounding_box()
    assert abs(box["y"] + box["height"] - 740) <= 1 and box["width"] == 375, box
    assert all(b["height"] >= 44 for b in (el.bounding_box() for el in sheet.locator("button").all()))
    assert_accessible(page, "a message's actions sheet, phone")
    screenshot(page, "message-actions-phone")
    # A tap outside closes it, and opens nothing else.
    page.touchscreen.tap(180, 40)
    expect(page.locator(".message-sheet")).to_have_count(0)
    assert assert_no_action_covers_text(page) == 0
    # Escape closes it too.
    message_with(page, "Error rate is flat").locator(".message-body").tap()
    expect(page.get_by_role("dialog", name="bob · 09:04")).to_be_visible()
    expect(page.get_by_role("dialog").locator("button[data-action]")).to_have_text(
        ["Reply", "React", "Copy link", "Delete"]
    )
    page.keyboard.press("Escape")
    expect(page.locator(".message-sheet")).to_have_count(0)

    # An action chosen there closes it and does what it says.
    second.locator(".message-body").tap()
    page.get_by_role("dialog").get_by_role("button", name=re.compile("^Reply")).tap()
    expect(page.locator(".message-sheet")).to_have_count(0)
    expect(page.locator("#reply-preview")).to_contain_text("Replying to alice Build 2 (android)")
    # The reader's own message, from the keyboard: its "⋯" shows under the
    # focus (on the message itself), Enter opens the sheet, Escape returns.
    menu = message_with(page, "Error rate is flat").locator(".message-menu-button")
    menu.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="bob · 09:04")).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_be_focused()


@pytest.mark.parametrize("width", [1280, 1024, 760])
def test_on_a_desktop_no_action_covers_text_at_any_width(width, release_runs, sign_in, screenshot):
    page = open_room(sign_in("bob", viewport={"width": width, "height": 800}, locale="en-GB", timezone_id="UTC"))
    expect(bodies(page)).to_have_count(len(RUNS))
    expect(page.locator("#messages .message.continued")).to_have_count(4)
    assert_no_horizontal_scroll(page)
    # Hovering each message shows its actions, over no text of any message.
    for n in range(len(RUNS)):
        message = page.locator("#messages .message").nth(n)
        message.hover()
        shown = message.locator(".message-actions, .message-menu-button").filter(visible=True)
        expect(shown).to_have_count(1)
        expect(shown).to_have_css("opacity", "1")
        assert assert_no_action_covers_text(page) > 0
        if n == 1:
            screenshot(page, f"message-actions-{width}")
    # Where the toolbar has no room, the "⋯" opens the same actions as a menu beside it.
    message = message_with(page, "Build 2 (android)")
    menu = message.locator(".message-menu-button")
    if not menu.is_visible():
        expect(message.locator(".message-actions button")).to_have_text(["Reply", "React", "Copy link"])
        return
    menu.click()
    sheet = page.get_by_role("dialog", name="alice · 09:01")
    expect(sheet.locator("button[data-action]")).to_have_text(["Reply", "React", "Copy link"])
    expect(sheet.locator("button[data-action]").first).to_be_focused()
    screenshot(page, f"message-menu-{width}")
    box, at = sheet.bounding_box(), menu.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width and abs(box["y"] - (at["y"] + at["height"] + 4)) <= 1
    page.keyboard.press("Escape")
    expect(page.locator(".message-sheet")).to_have_count(0)
    expect(menu).to_be_focused()
    # A click outside closes it too.
    menu.click()
    expect(sheet).to_be_visible()
    page.mouse.click(5, 5)
    expect(page.locator(".message-sheet")).to_have_count(0)
