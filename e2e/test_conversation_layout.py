"""Runs of messages, day headings and times, as the reader's clock, locale
and time zone make them."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, bodies, message_with, open_room, send


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def post_at(author, text, when):
    from rooms.models import Message, Room

    message = Message.objects.create(room=Room.objects.get(slug="lobby"), author=author, text=text)
    Message.objects.filter(pk=message.pk).update(created_at=when)


def heading(page, text):
    return message_with(page, text).locator(".day-separator")


def test_messages_group_by_author_live_on_every_page(make_user, sign_in):
    make_user("alice")
    make_user("bob")
    alice, bob = open_room(sign_in("alice")), open_room(sign_in("bob"))
    send(alice, "one")
    send(alice, "two")
    # Bob answers once he has read her: the order of sending is then the order saved.
    expect(bodies(bob)).to_have_text(["one", "two"], timeout=LIVE_TIMEOUT_MS)
    send(bob, "three")
    send(bob, "four")
    for page in (alice, bob):
        expect(bodies(page)).to_have_text(["one", "two", "three", "four"], timeout=LIVE_TIMEOUT_MS)
        grouped = [
            message_with(page, text).evaluate("el => el.classList.contains('continued')")
            for text in ("one", "two", "three", "four")
        ]
        assert grouped == [False, True, False, True]
        # A run shows its author once (the others are left to screen readers).
        shown = "el => el.getBoundingClientRect().width > 1"
        assert message_with(page, "two").locator(".message-author").evaluate(shown) is False
        assert message_with(page, "one").locator(".message-author").evaluate(shown) is True
        expect(message_with(page, "three").locator(".message-author")).to_have_text("bob")
        expect(heading(page, "one")).to_have_text("Today")
        expect(page.locator(".day-separator")).to_have_count(1)


@pytest.fixture
def tokyo_reader(make_user, sign_in):
    """Bob reads in Tokyo (UTC+9), in British English, at 12:30 on Monday
    15 June 2026 there (03:30 UTC), after this conversation."""
    alice, _ = make_user("alice"), make_user("bob")
    post_at(alice, "late on saturday", utc(2026, 6, 13, 14, 0))  # Sat 23:00 in Tokyo
    post_at(alice, "just after midnight", utc(2026, 6, 13, 15, 30))  # Sun 00:30 in Tokyo, same UTC day
    post_at(alice, "still up", utc(2026, 6, 13, 15, 32))
    post_at(alice, "an hour later", utc(2026, 6, 13, 16, 40))
    post_at(alice, "good morning", utc(2026, 6, 15, 3, 28))  # Mon 12:28
    post_at(alice, "lunch?", utc(2026, 6, 15, 3, 29, 50))
    context = sign_in("bob", locale="en-GB", timezone_id="Asia/Tokyo")
    context.clock.install(time=utc(2026, 6, 15, 3, 30))
    return open_room(context)


def test_days_and_times_follow_the_readers_time_zone_and_clock(tokyo_reader):
    page = tokyo_reader
    # Days are the reader's: 14:00 and 15:30 UTC fall on two days in Tokyo.
    expect(heading(page, "late on saturday")).to_have_text(re.compile(r"^Saturday,? 13 June 2026$"))
    expect(heading(page, "just after midnight")).to_have_text("Yesterday")
    expect(heading(page, "good morning")).to_have_text("Today")
    expect(page.locator(".day-separator")).to_have_count(3)
    expect(message_with(page, "late on saturday").locator("time")).to_have_text("23:00")
    expect(message_with(page, "just after midnight").locator("time")).to_have_text("00:30")
    # Within 5 minutes of the same author: one run; a new day or a pause breaks it.
    runs = {
        text: message_with(page, text).evaluate("el => el.classList.contains('continued')")
        for text in ("just after midnight", "still up", "an hour later", "good morning", "lunch?")
    }
    assert runs == {
        "just after midnight": False,
        "still up": True,
        "an hour later": False,
        "good morning": False,
        "lunch?": True,
    }
    # Recent messages say how long ago, and keep saying it correctly.
    expect(message_with(page, "good morning").locator(".time-ago")).to_have_text("2 minutes ago")
    expect(message_with(page, "lunch?").locator(".time-ago")).to_have_text("now")
    page.clock.fast_forward("03:00")
    expect(message_with(page, "good morning").locator(".time-ago")).to_have_text("5 minutes ago")
    expect(message_with(page, "lunch?").locator(".time-ago")).to_have_text("3 minutes ago")
    # Past midnight in Tokyo, today becomes yesterday and older days get their date.
    page.clock.fast_forward("12:00:00")
    expect(heading(page, "good morning")).to_have_text("Yesterday")
    expect(heading(page, "just after midnight")).to_have_text(re.compile(r"^Sunday,? 14 June 2026$"))
    expect(message_with(page, "good morning").locator(".time-ago")).to_have_text("")
    expect(message_with(page, "good morning").locator("time")).to_be_visible()
    expect(message_with(page, "good morning").locator("time")).to_have_text("12:28")
