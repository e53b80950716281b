"""Any JSON shape against the real room socket: none breaks it (the frame
table's fuzz test, realtime/protocol.py; the socket is rooms/sockets.py)."""

import json
import uuid

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from realtime import protocol

# --- fuzz: any JSON shape against the real consumer ------------------------------------

KEYS = [*protocol.KINDS, "message", "client_id", "reply_to", "emoji", "headers", "after", "known", "revised", "HEADERS"]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["1", "0", "-1", "999999999999999999999", ""]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
frames = (
    st.dictionaries(st.sampled_from(KEYS), json_values, max_size=4).map(json.dumps)
    | json_values.map(json.dumps)
    | st.text(max_size=40)
    | st.binary(max_size=40)
)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_db_connections")
@hypothesis_settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(frames=st.lists(frames, min_size=1, max_size=5))
async def test_no_frame_of_any_shape_breaks_the_socket(ws, lobby, alice, settings, frames):
    settings.CHAT_FRAME_BUDGETS = dict.fromkeys([*protocol.KINDS, "message"], 10_000)
    settings.CHAT_RATE_LIMIT_MESSAGES = 0
    communicator = await ws.joined(alice)
    for data in frames:
        # send_input: send_to refuses empty frames, which a client can send.
        await communicator.send_input(
            {"type": "websocket.receive", **({"bytes": data} if isinstance(data, bytes) else {"text": data})}
        )
        # A frame is handled before the next one is read: once this probe's
        # message comes back, all the fuzzed frame caused has come too. None
        # of it may be a close (a crash is a 1011), and the socket still works.
        probe = f"probe {uuid.uuid4().hex}"
        await communicator.send_to(text_data=json.dumps({"message": probe}))
        while True:
            output = await communicator.receive_output(timeout=5)
            assert output["type"] == "websocket.send", (data, output)
            if probe in output.get("text", ""):
                break
    await ws.close_all()
