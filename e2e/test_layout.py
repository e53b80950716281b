"""Layout: from a 360 px phone to a wide screen, light and dark, nothing
scrolls sideways, the composer stays usable, and arriving messages do not
move what the reader is looking at. With --screenshots DIR (make
screenshots) these tests also save what they checked as PNGs."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import (
    CONVERSATION, LIVE_TIMEOUT_MS, LOOKS, PHONE, assert_no_horizontal_scroll, bodies, direct_conversation, message_with,
    open_room, seed_conversation, send,
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
    Room.objects.create(name="Design reviews", slug="design", topic="Screens and flows before they ship",
                        is_private=True).members.add(users["alice"])
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
                    parent: s.node && s.node.parentElement ? (s.node.parentElement.id || s.node.parentElement.className) : "",
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
