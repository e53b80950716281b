"""The process-local hub: who receives what, a socket dying mid-broadcast, order."""

import asyncio

import pytest
from channels.layers import get_channel_layer

from realtime import broadcast
from realtime.hub import Filtered, get_hub


class FakeSocket:
    """A hub.Socket that records what the hub did to it."""

    def __init__(self, name, fail=False, user_pk=None):
        self.name = name
        self.socket_id = name
        self.user_pk = user_pk
        self.frames = []
        self.controls = []
        self.fail = fail
        self.reconnected = False
        self.on_screen = False

    async def send_frame(self, frame):
        if self.fail:
            raise ConnectionResetError("socket closed mid-broadcast")
        self.frames.append(frame)

    async def control(self, event):
        self.controls.append(event["type"])

    async def reconnect(self):
        self.reconnected = True


async def eventually(check, timeout=2.0):
    """Wait until check() is true: the hub reads, waits out its coalescing
    window and writes in its own tasks."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting for the hub"
        await asyncio.sleep(0.005)


@pytest.fixture(autouse=True)
def short_window(settings):
    settings.CHAT_BROADCAST_COALESCE_MS = 5
    settings.CHAT_LIST_COALESCE_MS = 5


async def test_each_socket_in_the_room_gets_each_fragment_once():
    hub = get_hub()
    a1, a2, b1 = FakeSocket("a1"), FakeSocket("a2"), FakeSocket("b1")
    await hub.join("room.1", a1)
    await hub.join("room.1", a2)
    await hub.join("room.2", b1)
    await broadcast.send("room.1", broadcast.FRAGMENT, "<p>hi</p>")
    await eventually(lambda: a1.frames and a2.frames)
    assert a1.frames == a2.frames == ["<p>hi</p>"]
    assert b1.frames == []
    for socket, group in ((a1, "room.1"), (a2, "room.1"), (b1, "room.2")):
        await hub.leave(group, socket)


async def test_the_process_joins_each_group_once(monkeypatch):
    hub = get_hub()
    calls = []
    original = hub.layer.group_add

    async def counting_group_add(group, channel):
        calls.append(group)
        await original(group, channel)

    monkeypatch.setattr(hub.layer, "group_add", counting_group_add)
    sockets = [FakeSocket(str(n)) for n in range(5)]
    for socket in sockets:
        await hub.join("room.1", socket)
    assert calls == ["room.1"]
    for socket in sockets:
        await hub.leave("room.1", socket)


async def test_a_socket_that_left_gets_nothing_and_the_last_leaves_the_group():
    hub = get_hub()
    stays, goes = FakeSocket("stays"), FakeSocket("goes")
    await hub.join("room.1", stays)
    await hub.join("room.1", goes)
    await hub.leave("room.1", goes)
    await broadcast.send("room.1", broadcast.FRAGMENT, "<p>after</p>")
    await eventually(lambda: stays.frames)
    assert stays.frames == ["<p>after</p>"] and goes.frames == []
    channel = hub.channel
    await hub.leave("room.1", stays)
    layer = get_channel_layer()
    assert channel not in layer.groups.get("room.1", {})
    assert hub.reader is None  # nothing left to read for


async def test_a_socket_closing_mid_broadcast_does_not_stop_the_others():
    hub = get_hub()
    sockets = [FakeSocket("first"), FakeSocket("dying", fail=True), FakeSocket("last")]
    for socket in sockets:
        await hub.join("room.1", socket)
    await broadcast.send("room.1", broadcast.FRAGMENT, "<p>still delivered</p>")
    await eventually(lambda: sockets[0].frames and sockets[2].frames)
    assert sockets[0].frames == sockets[2].frames == ["<p>still delivered</p>"]
    for socket in sockets:
        await hub.leave("room.1", socket)


async def test_a_quiet_rooms_fragment_goes_out_at_once(settings):
    """No window to wait out when the room had no frame lately: a message
    to a quiet room is written as soon as the hub has it."""
    settings.CHAT_BROADCAST_COALESCE_MS = 60_000
    hub = get_hub()
    socket = FakeSocket("s")
    await hub.join("room.1", socket)
    await broadcast.send("room.1", broadcast.FRAGMENT, "<p>hello</p>")
    await eventually(lambda: socket.frames)
    assert socket.frames == ["<p>hello</p>"]
    await hub.leave("room.1", socket)


async def test_fragments_of_a_busy_room_keep_their_order_and_coalesce_into_one_frame(settings):
    settings.CHAT_BROADCAST_COALESCE_MS = 50
    hub = get_hub()
    socket = FakeSocket("s")
    await hub.join("room.1", socket)
    for n in range(5):
        await broadcast.send("room.1", broadcast.FRAGMENT, f"<p>{n}</p>")
    await eventually(lambda: len(socket.frames) == 2)
    # The first at once; the rest arrived within its window and share the next frame.
    assert socket.frames == ["<p>0</p>", "<p>1</p><p>2</p><p>3</p><p>4</p>"]
    await hub.leave("room.1", socket)


async def test_the_room_list_gathers_a_longer_window_than_a_room(settings):
    """Every message anywhere signals every page's room list: those signals
    go out at most once per window, the room's own fragments sooner."""
    settings.CHAT_BROADCAST_COALESCE_MS = 5
    settings.CHAT_LIST_COALESCE_MS = 300
    hub = get_hub()
    socket = FakeSocket("s")
    await hub.join("room.1", socket)
    await hub.join(broadcast.LIST_GROUP, socket)
    await broadcast.send(broadcast.LIST_GROUP, broadcast.FRAGMENT, "<i>activity 1</i>")
    await broadcast.send("room.1", broadcast.FRAGMENT, "<p>message 1</p>")
    await eventually(lambda: len(socket.frames) == 2)
    await asyncio.sleep(0.05)  # a later message: past the room's window, well inside the list's
    await broadcast.send(broadcast.LIST_GROUP, broadcast.FRAGMENT, "<i>activity 2</i>")
    await broadcast.send(broadcast.LIST_GROUP, broadcast.FRAGMENT, "<i>activity 3</i>")
    await broadcast.send("room.1", broadcast.FRAGMENT, "<p>message 2</p>")
    await eventually(lambda: "<p>message 2</p>" in socket.frames)
    assert "<i>activity 2</i>" not in "".join(socket.frames)  # still inside the list's window
    await eventually(lambda: len(socket.frames) == 4)
    assert socket.frames == [
        "<i>activity 1</i>",
        "<p>message 1</p>",
        "<p>message 2</p>",
        "<i>activity 2</i><i>activity 3</i>",
    ]
    await hub.leave_all(socket)


async def test_control_events_follow_the_fragments_sent_before_them(settings):
    settings.CHAT_BROADCAST_COALESCE_MS = 1000
    hub = get_hub()
    socket = FakeSocket("s")
    await hub.join("room.1", socket)
    await broadcast.send("room.1", broadcast.FRAGMENT, "<p>last words</p>")
    await broadcast.send("room.1", broadcast.CLOSED, "<p>closed</p>")
    await eventually(lambda: socket.controls)
    await eventually(lambda: socket.frames)
    assert socket.frames == ["<p>last words</p>"]
    assert socket.controls == [broadcast.CLOSED]
    await hub.leave("room.1", socket)


async def test_a_failing_layer_makes_every_socket_reconnect(monkeypatch):
    hub = get_hub()
    sockets = [FakeSocket("a"), FakeSocket("b")]
    for socket in sockets:
        await hub.join("room.1", socket)

    async def broken_receive(channel):
        raise ConnectionError("redis went away")

    hub.reader.cancel()
    monkeypatch.setattr(hub.layer, "receive", broken_receive)
    await hub.read()
    assert all(socket.reconnected for socket in sockets)
    assert hub.rooms == {}


async def test_a_slow_socket_does_not_reorder_frames_for_the_others(settings):
    settings.CHAT_BROADCAST_COALESCE_MS = 1
    hub = get_hub()
    release = asyncio.Event()

    class SlowSocket(FakeSocket):
        calls = 0

        async def send_frame(self, frame):
            self.calls += 1
            if self.calls == 1:
                await release.wait()  # the first write has to wait for the network
            self.frames.append(frame)

    slow, after = SlowSocket("slow"), FakeSocket("after")
    await hub.join("room.1", slow)
    await hub.join("room.1", after)
    await broadcast.send("room.1", broadcast.FRAGMENT, "<p>1</p>")
    await eventually(lambda: slow.calls == 1)  # the first write is stuck on the slow socket
    await broadcast.send("room.1", broadcast.FRAGMENT, "<p>2</p>")
    await eventually(lambda: "room.1" not in hub.pending)  # the second write has started
    release.set()
    await eventually(lambda: len(slow.frames) == len(after.frames) == 2)
    assert slow.frames == ["<p>1</p>", "<p>2</p>"]
    assert after.frames == ["<p>1</p>", "<p>2</p>"]
    await hub.leave("room.1", slow)
    await hub.leave("room.1", after)


async def test_sockets_joining_at_the_same_time_all_receive(monkeypatch):
    hub = get_hub()
    # A networked layer (Redis) yields inside these calls.
    for name in ("new_channel", "group_add"):
        original = getattr(hub.layer, name)

        async def yielding(*args, original=original):
            await asyncio.sleep(0.01)
            return await original(*args)

        monkeypatch.setattr(hub.layer, name, yielding)
    sockets = [FakeSocket(str(n)) for n in range(5)]
    await asyncio.gather(*(hub.join("room.1", socket) for socket in sockets))
    await broadcast.send("room.1", broadcast.FRAGMENT, "<p>to all</p>")
    await eventually(lambda: all(socket.frames for socket in sockets))
    assert [socket.frames for socket in sockets] == [["<p>to all</p>"]] * 5
    await asyncio.gather(*(hub.leave("room.1", socket) for socket in sockets))
    assert hub.rooms == {}


# --- several groups per socket, and fragments not everyone gets ------------------------


async def test_a_socket_in_several_groups_gets_each_groups_fragments():
    hub = get_hub()
    socket = FakeSocket("s", user_pk=1)
    for group in ("room.1", broadcast.LIST_GROUP, broadcast.user_group(1)):
        await hub.join(group, socket)
    await broadcast.send("room.1", broadcast.FRAGMENT, "<p>room</p>")
    await broadcast.send(broadcast.LIST_GROUP, broadcast.FRAGMENT, "<p>list</p>")
    await broadcast.send(broadcast.user_group(1), broadcast.FRAGMENT, "<p>mine</p>")
    await broadcast.send(broadcast.user_group(2), broadcast.FRAGMENT, "<p>not mine</p>")
    await eventually(lambda: len(socket.frames) == 3)
    assert sorted(socket.frames) == ["<p>list</p>", "<p>mine</p>", "<p>room</p>"]
    await hub.leave_all(socket)
    assert hub.rooms == {} and hub.groups_of == {} and hub.reader is None


async def test_a_filtered_fragment_reaches_allowed_users_and_the_others_get_otherwise():
    hub = get_hub()
    member, outsider = FakeSocket("member", user_pk=1), FakeSocket("outsider", user_pk=2)
    for socket in (member, outsider):
        await hub.join(broadcast.LIST_GROUP, socket)
    await broadcast.send(
        broadcast.LIST_GROUP, broadcast.FRAGMENT, "<li>secret</li>", allowed=[1], otherwise="<div>gone</div>"
    )
    await broadcast.send(
        broadcast.LIST_GROUP, broadcast.FRAGMENT, "<li>public</li>", allowed=None, otherwise="<div>gone</div>"
    )
    await eventually(lambda: all("public" in "".join(socket.frames) for socket in (member, outsider)))
    assert "".join(member.frames) == "<li>secret</li><li>public</li>"
    assert "".join(outsider.frames) == "<div>gone</div><li>public</li>"
    for socket in (member, outsider):
        await hub.leave_all(socket)


async def test_a_fragment_skips_the_sockets_of_its_room_and_empty_frames_are_not_sent():
    hub = get_hub()
    in_room, elsewhere = FakeSocket("in room", user_pk=1), FakeSocket("elsewhere", user_pk=1)
    await hub.join("room.1", in_room)
    for socket in (in_room, elsewhere):
        await hub.join(broadcast.LIST_GROUP, socket)
    await broadcast.send(
        broadcast.LIST_GROUP, broadcast.FRAGMENT, "<span>activity</span>", allowed=None, otherwise="", skip="room.1"
    )
    await broadcast.send(broadcast.LIST_GROUP, broadcast.FRAGMENT, "<span>not for 1</span>", allowed=[2], otherwise="")
    await eventually(lambda: elsewhere.frames)
    await broadcast.send(broadcast.LIST_GROUP, broadcast.FRAGMENT, "<p>after</p>")
    await eventually(lambda: in_room.frames and len(elsewhere.frames) == 2)
    assert elsewhere.frames == ["<span>activity</span>", "<p>after</p>"]
    assert in_room.frames == ["<p>after</p>"]
    for socket in (in_room, elsewhere):
        await hub.leave_all(socket)


async def test_a_window_of_news_gives_each_page_what_its_rooms_and_user_allow():
    hub = get_hub()
    in_1 = FakeSocket("in 1", user_pk=1)
    in_2 = FakeSocket("in 2", user_pk=2)
    in_both = FakeSocket("in both", user_pk=1)
    elsewhere_1, elsewhere_2 = FakeSocket("elsewhere 1", user_pk=1), FakeSocket("elsewhere 2", user_pk=2)
    pages = [in_1, in_2, in_both, elsewhere_1, elsewhere_2]
    for page in (in_1, in_both):
        await hub.join("room.1", page)
    for page in (in_2, in_both):
        await hub.join("room.2", page)
    for page in pages:
        await hub.join(broadcast.LIST_GROUP, page)

    def news(html, **extra):
        return Filtered.of({"html": html, "otherwise": "", **extra})

    window = ["<a>", news("<1>", skip="room.1"), news("<2>", skip="room.2"), news("<p2>", allowed=[2], skip="room.3")]
    frames = {page.name: frame for frame, members in hub.frames(window, pages) for page in members}

    assert frames == {
        "in 1": "<a><2>",
        "in 2": "<a><1><p2>",
        "in both": "<a>",
        "elsewhere 1": "<a><1><2>",
        "elsewhere 2": "<a><1><2><p2>",
    }
    for page in pages:
        await hub.leave_all(page)


async def test_a_failing_layer_reconnects_a_socket_in_several_groups_once(monkeypatch):
    hub = get_hub()
    reconnects = []

    class Counting(FakeSocket):
        async def reconnect(self):
            reconnects.append(self.name)

    socket = Counting("s", user_pk=1)
    for group in ("room.1", broadcast.LIST_GROUP, broadcast.user_group(1)):
        await hub.join(group, socket)

    async def broken_receive(channel):
        raise ConnectionError("redis went away")

    hub.reader.cancel()
    monkeypatch.setattr(hub.layer, "receive", broken_receive)
    await hub.read()
    assert reconnects == ["s"]
    assert hub.rooms == {} and hub.groups_of == {}


async def test_the_heartbeat_refreshes_presence_for_room_groups_only(settings, monkeypatch):
    from realtime import presence

    settings.CHAT_PRESENCE_HEARTBEAT = 0.05
    refreshed = []

    async def refresh(here, group, sockets):
        refreshed.append(group)
        return True

    monkeypatch.setattr(presence, "refresh", refresh)
    hub = get_hub()
    socket = FakeSocket("s", user_pk=1)
    await hub.join("room.1", socket, presence.Here(1, None))
    await hub.join(broadcast.LIST_GROUP, socket)
    await eventually(lambda: len(refreshed) >= 2)
    assert set(refreshed) == {"room.1"}
    await hub.leave_all(socket)


async def test_publishing_from_the_database_thread_does_not_wait_and_keeps_the_order(monkeypatch):
    """The model layer's after-commit hooks publish() on the thread every
    socket's database work shares: it returns while the channel layer is
    still held up, and the event loop sends what it published in order."""
    from asgiref.sync import sync_to_async

    hub = get_hub()
    socket = FakeSocket("s")
    await hub.join("room.1", socket)
    layer_free = asyncio.Event()
    send_many = broadcast.send_many

    async def held_up_send_many(events):
        await layer_free.wait()
        await send_many(events)

    monkeypatch.setattr(broadcast, "send_many", held_up_send_many)

    def after_commit():
        for n in range(3):
            broadcast.publish("room.1", broadcast.FRAGMENT, f"<p>{n}</p>")

    # Waiting for the layer here would never end: the layer is free only after.
    await asyncio.wait_for(sync_to_async(after_commit)(), timeout=5)
    assert socket.frames == []
    layer_free.set()
    await eventually(lambda: "".join(socket.frames) == "<p>0</p><p>1</p><p>2</p>")
    await hub.leave("room.1", socket)
