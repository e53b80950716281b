"""The load generator's matching logic (not part of `make test`):

    .venv/bin/python -m pytest bench/test_matching.py

Renders the app's real fragments, so a template change that would blind the
benchmark fails here rather than as "100% lost".
"""

import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from bench.loadgen import StepResult, Tracker, judge, parse_html, parse_json, percentile, summarize, token_text
from realtime import broadcast
from rooms import broadcasts
from rooms.models import Message, Room

# Rendering a message body looks up its mentions.
pytestmark = pytest.mark.django_db


def message_fragment(text, pk=41):
    author = get_user_model()(pk=3, username="bench-000")
    message = Message(pk=pk, room=Room(pk=1, slug="lobby"), author=author, text=text, created_at=timezone.now())
    return broadcasts.render("messages-appended", batch=[message]).encode()


def test_html_message_fragment_yields_its_token():
    text = token_text("ab12cd34", 7, 123456789)
    assert parse_html(message_fragment(text)) == [("ab12cd34", 7, 123456789)]


def test_html_other_frames_and_other_texts_are_ignored():
    people = [get_user_model()(pk=pk, username=name) for pk, name in ((4, "a"), (5, "b"))]
    presence = broadcasts.render("presence", people=people, oob=True).encode()
    error = broadcast.render("chat-error", error="Too fast", text=token_text("ab12cd34", 1, 1)).encode()
    assert parse_html(presence) == []
    assert parse_html(error) == []  # the unsent text of an error is not a delivery
    assert parse_html(message_fragment("hello <b>" + token_text("ab12cd34", 1, 1))) == []


def test_json_frames():
    text = token_text("ab12cd34", 9, 5)
    assert parse_json(json.dumps({"message": text}).encode()) == [("ab12cd34", 9, 5)]
    assert parse_json(b'{"message": 3}') == []
    assert parse_json(b"not json") == []
    assert parse_json(b"[1]") == []


def test_tracker_counts_each_receiver_once_and_flags_duplicates_and_strangers():
    tracker = Tracker("run1", receivers=3)
    first = tracker.expect(1, 1_000_000)
    second = tracker.expect(2, 2_000_000)
    tracker.deliver(0, [("run1", 1, 1_000_000)], 11_000_000)
    tracker.deliver(1, [("run1", 1, 1_000_000)], 31_000_000)
    tracker.deliver(1, [("run1", 1, 1_000_000)], 32_000_000)  # duplicate
    tracker.deliver(2, [("run1", 1, 1_000_000)], 21_000_000)
    tracker.deliver(0, [("run1", 2, 2_000_000)], 12_000_000)
    tracker.deliver(0, [("other", 2, 2_000_000), ("run1", 99, 1)], 12_000_000)
    assert (first.count, first.dups, first.last_ns) == (3, 1, 31_000_000)
    assert (second.count, second.dups) == (1, 0)
    assert tracker.foreign == 2
    assert tracker.delivered == 4

    result = summarize(StepResult(rate=1, seconds=2), [first, second], 3, first.sent_ns, 3.0, (0, 0, 0, 0))
    assert (result.deliveries, result.lost, result.duplicated, result.complete) == (4, 2, 1, 1)
    assert result.p99_ms == 30.0  # send -> last receiver of the complete message
    assert judge(result).stable is False


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([5], 99) == 5
