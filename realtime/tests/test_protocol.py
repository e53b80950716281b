"""The frame table: each kind's shape, unknown kinds refused, and a fuzz of
every JSON shape against the real room socket (rooms/tests/test_socket_fuzz.py:
no frame makes it raise; every frame gets an answer or a refusal)."""

import json

import pytest

from realtime import protocol
from realtime.protocol import BadFrame, Delete, Edit, Post, React, Read, Sync, Typing, parse


def frame(payload):
    return parse(json.dumps(payload))


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"message": "hi", "headers": {"HX-Request": "true"}}, ("message", Post("hi"))),
        ({"message": "hi", "client_id": "c-1"}, ("message", Post("hi", "c-1"))),
        ({"sync": {"after": 3, "known": [1, "2"], "revised": {"2": 1}}}, ("sync", Sync(3, (1, 2), {2: 1}))),
        ({"sync": {}}, ("sync", Sync())),
        ({"read": 7}, ("read", Read(7))),
        ({"read": "7"}, ("read", Read(7))),
        ({"typing": True}, ("typing", Typing())),
        ({"edit": "12", "message": "new"}, ("edit", Edit(12, "new"))),
        ({"delete": 12}, ("delete", Delete(12))),
        ({"react": "12", "emoji": "👍"}, ("react", React(12, "👍"))),
        ({"message": "hi", "client_id": "c-1", "reply_to": 12}, ("message", Post("hi", "c-1", 12))),
        ({"message": "hi", "reply_to": None}, ("message", Post("hi"))),
    ],
)
def test_each_kind_reads_into_its_frame(payload, expected):
    assert frame(payload) == expected


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"text": "hi"}, "does not know that kind of frame"),
        ({"react": "👍"}, "'react' must be a message id"),
        ({"react": 1}, "one emoji in its 'emoji' field"),
        ({"react": 1, "emoji": "x" * 65}, "one emoji in its 'emoji' field"),
        ({"message": "hi", "reply_to": "abc"}, "'reply_to' must be a message id"),
        ({"delete": 1, "edit": 2, "message": "x"}, "one thing at a time"),
        ({"message": "hi", "client_id": 5}, "'client_id' must be a string"),
        ({"edit": 0, "message": "x"}, "'edit' must be a message id"),
        ({"edit": -4, "message": "x"}, "'edit' must be a message id"),
        ({"delete": "9" * 40}, "'delete' must be a message id"),
        ({"delete": 2**63}, "'delete' must be a message id"),
        ({"read": 2**64}, "'read' must be a message id"),
        ({"read": "٣"}, "'read' must be a message id"),
        ({"sync": {"after": -1}}, "sync request"),
        ({"sync": {"known": [1.5]}}, "sync request"),
    ],
)
def test_a_frame_of_no_known_shape_is_refused_and_never_posted(payload, reason):
    with pytest.raises(BadFrame, match=reason):
        frame(payload)


def test_not_json_and_deep_nesting_are_refused():
    with pytest.raises(BadFrame, match="not valid JSON"):
        parse("{")
    with pytest.raises(BadFrame, match="not valid JSON"):
        parse("[" * 10_000 + "]" * 10_000)  # under the size cap, past the recursion limit
    with pytest.raises(BadFrame, match="text frames"):
        parse(None, b"{}")


def test_a_refused_post_hands_its_text_back():
    with pytest.raises(BadFrame) as refused:
        frame({"message": "keep me", "client_id": ["x"]})
    assert refused.value.refused == {"text": "keep me"}
    with pytest.raises(BadFrame) as refused:
        frame({"message": "keep me too", "client_id": "c-2", "reply_to": -1})
    assert refused.value.refused == {"text": "keep me too", "client_id": "c-2"}


def test_every_kind_has_a_budget(settings):
    settings.CHAT_FRAME_BUDGETS = {"typing": 3}
    assert protocol.budget("typing") == (3, protocol.KINDS["typing"].seconds)
    for key in [*protocol.KINDS, "message"]:
        limit, seconds = protocol.budget(key)
        assert limit > 0 and seconds > 0
    # Post frames follow flood control, with room for resends.
    settings.CHAT_RATE_LIMIT_MESSAGES, settings.CHAT_RATE_LIMIT_SECONDS = 10, 10
    assert protocol.budget("message") == (20, 10)
