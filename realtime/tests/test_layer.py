"""The Redis channel layer: events sent together arrive once each, in order."""

import pytest
from channels.layers import get_channel_layer

from realtime.layer import RedisChannelLayer

pytestmark = [pytest.mark.redis, pytest.mark.usefixtures("use_redis")]


def event(text):
    return {"type": "room.fragment", "html": text}


async def received(layer, channel, count):
    got = []
    while len(got) < count:
        events = await layer.receive_many(channel)
        assert events, f"only {got} arrived"
        got += [e["html"] for e in events]
    return got


async def test_events_sent_together_reach_a_channel_in_several_groups_in_order():
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    hub = await layer.new_channel()
    await layer.group_add("room.1", hub)
    await layer.group_add("rooms.list", hub)

    await layer.group_send_many(
        [("room.1", event("message")), ("rooms.list", event("news")), ("room.1", event("edit")), ("room.2", event("x"))]
    )

    assert await received(layer, hub, 3) == ["message", "news", "edit"]


async def test_every_process_in_a_group_receives_each_event_once():
    one, other = get_channel_layer(), RedisChannelLayer(**_config(get_channel_layer()))
    first, second = await one.new_channel(), await other.new_channel()
    for channel in (first, second):
        await one.group_add("room.1", channel)

    await one.group_send("room.1", event("hello"))
    await one.group_send_many([("room.1", event("again"))])

    assert await received(one, first, 2) == ["hello", "again"]
    assert await received(other, second, 2) == ["hello", "again"]


async def test_a_full_channel_takes_no_more_and_the_others_still_receive():
    layer = get_channel_layer()
    layer.capacity = 2
    slow, fast = await layer.new_channel(), await RedisChannelLayer(**_config(layer)).new_channel()
    await layer.group_add("room.1", slow)
    await layer.group_add("room.1", fast)
    await layer.group_send_many([("room.1", event(n)) for n in "ab"])

    assert await received(layer, fast, 2) == ["a", "b"]

    await layer.group_send("room.1", event("c"))

    assert await received(layer, fast, 1) == ["c"]
    assert await received(layer, slow, 2) == ["a", "b"]


def _config(layer):
    return {"hosts": layer.hosts, "prefix": layer.prefix, "expiry": layer.expiry}
