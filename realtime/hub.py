"""Process-local fan-out: one channel-layer subscription per process and room.

In the Channels tutorial design every socket's consumer joins the room's
group, so one message costs a channel-layer delivery and a consumer dispatch
per recipient (and Channels' per-event database-connection hop). Here each
server process joins each room's group ONCE, with a channel of its own; the
hub receives every event once and writes the prepared frame straight to the
process's sockets in that room. A fragment for a group that had no frame
for CHAT_BROADCAST_COALESCE_MS goes out at once; one that comes sooner
waits that long, and what arrives meanwhile goes out with it as one frame
(htmx applies every out-of-band element of a frame). A quiet room's
message is not held back; a busy room costs at most one frame per window
per socket.

A socket may be registered under several groups (its room, the site-wide
room list, its user's group); each group's frames keep their order. A
fragment may name the users allowed to see it (and some excluded from it:
those who left a public room): the hub gives its `otherwise` HTML to those
of `otherwise_to` (None: everyone else; a room made private disappears from
the lists that showed it) and nothing to the rest, and may skip the
sockets of one room (they get the message itself).

What the hub needs of a socket is the `Socket` protocol below; page sockets
(realtime/page.py) implement it, and the hub never calls anything else.

If the channel layer fails (Redis restarting), group memberships may be
lost and pages may have missed messages: the hub closes its sockets with
4012 so each page reconnects, rejoins and catches up from the database.
The hub receives through a layer instance of its own and starts a fresh
one after a failure: a channels-redis instance whose receive failed can
stay wedged after Redis comes back.
"""

import asyncio
import logging
import weakref
from typing import NamedTuple, Protocol

from channels.layers import DEFAULT_CHANNEL_LAYER, InMemoryChannelLayer, channel_layers, get_channel_layer
from django.conf import settings

from core import metrics

from . import broadcast, presence, sockets, transport, visibility

log = logging.getLogger(__name__)

# Sockets one write goes through before letting the loop run something else:
# the room list's news reaches every open page of the process at once.
YIELD_EVERY = 500


class Socket(Protocol):
    """One open page, as the hub sees it."""

    # Whose page it is: filtered fragments are chosen by user, and the
    # heartbeat keeps the socket counted against its user's cap (and, in a
    # group joined with presence, keeps its user "here").
    user_pk: int
    username: str
    socket_id: str
    # Whether its page is on screen: the heartbeat keeps that recorded too.
    on_screen: bool

    async def send_frame(self, html: str) -> None:
        """Write one frame of HTML fragments; may close the socket instead
        when its client is not reading (its unsent output is over the cap)."""

    async def control(self, event: dict) -> None:
        """Act on a control event of one of its groups (ACCESS, CLOSED,
        SIGNED_OUT in realtime/broadcast.py): close itself if it concerns it."""

    async def reconnect(self) -> None:
        """The channel layer failed: close with 4012 so the page comes back and catches up."""


class Filtered(NamedTuple):
    """A fragment not everyone gets: `html` for the users in `allowed` (None:
    everyone) but those in `excluded`, `otherwise` for the others in
    `otherwise_to` (None: all the rest), nothing for other users and for
    sockets in group `skip`."""

    html: str
    otherwise: str
    allowed: frozenset | None
    skip: str | None
    otherwise_to: frozenset | None = None
    excluded: frozenset = frozenset()

    @classmethod
    def of(cls, event):
        if "allowed" not in event and not event.get("skip"):
            return event["html"]
        allowed, otherwise_to = event.get("allowed"), event.get("otherwise_to")
        return cls(
            event["html"],
            event.get("otherwise", ""),
            None if allowed is None else frozenset(allowed),
            event.get("skip"),
            None if otherwise_to is None else frozenset(otherwise_to),
            frozenset(event.get("excluded", ())),
        )


def private_layer():
    """A channel-layer instance for the hub alone; the in-memory layer only
    works shared, and cannot fail anyway."""
    shared = get_channel_layer()
    if isinstance(shared, InMemoryChannelLayer):
        return shared
    return channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)


class Hub:
    def __init__(self):
        self.shared = get_channel_layer()
        self.layer = private_layer()
        self.channel = None
        self.rooms = {}  # group -> set of sockets in this process
        self.groups_of = {}  # socket -> the groups it is in
        self.presence_groups = {}  # group -> its presence.Here, for the heartbeat to refresh
        self.pending = {}  # group -> fragments waiting for the coalescing window
        self.flushed_at = {}  # group -> loop time of its last frame (quiet a window since: the next goes at once)
        self.posted_at = {}  # group -> commit times of the new messages among them (metrics)
        self.writing = {}  # group -> the task writing its latest frame
        self.reader = None
        self.refresher = None
        self.background = set()  # tasks nobody awaits, kept until they end
        # Sockets connect concurrently: joining and leaving a group must not
        # interleave (two channels, or a discard after a fresh add).
        self.membership = asyncio.Lock()

    async def join(self, group, socket: Socket, here: presence.Here | None = None):
        """Start delivering `group`'s events to `socket` (raises if the layer is
        down); `here`: the group's presence, which the heartbeat refreshes."""
        async with self.membership:
            if self.channel is None:
                self.channel = await self.layer.new_channel("hub.")
            if group not in self.rooms:
                await self.layer.group_add(group, self.channel)
                self.rooms[group] = set()
            self.rooms[group].add(socket)
            self.groups_of.setdefault(socket, set()).add(group)
            metrics.sockets_open(len(self.groups_of))
            if here is not None:
                self.presence_groups[group] = here
            if self.reader is None or self.reader.done():
                self.reader = asyncio.create_task(self.read(), name="chat-hub-reader")
                self.refresher = asyncio.create_task(self.refresh(), name="chat-hub-refresher")

    async def leave(self, group, socket: Socket):
        async with self.membership:
            sockets = self.rooms.get(group)
            if sockets is None:
                return
            sockets.discard(socket)
            groups = self.groups_of.get(socket)
            if groups is not None:
                groups.discard(group)
                if not groups:
                    del self.groups_of[socket]
                    metrics.sockets_open(len(self.groups_of))
            if sockets:
                return
            del self.rooms[group]
            self.presence_groups.pop(group, None)
            self.pending.pop(group, None)
            self.flushed_at.pop(group, None)
            self.posted_at.pop(group, None)
            self.writing.pop(group, None)
            if not self.rooms:
                self.stop()
            try:
                await self.layer.group_discard(group, self.channel)
            except Exception:  # the layer is down; the membership expires there
                log.warning("hub could not leave %s", group, exc_info=True)

    async def leave_all(self, socket: Socket):
        """Stop delivering anything to `socket`."""
        for group in list(self.groups_of.get(socket, ())):
            await self.leave(group, socket)

    def stop(self):
        current = asyncio.current_task()
        for task in (self.reader, self.refresher):
            if task is not None and task is not current:
                task.cancel()
        self.reader = self.refresher = None

    async def read(self):
        # With Redis, every waiting event in one round trip (realtime/layer.py).
        receive_many = getattr(self.layer, "receive_many", None)
        while True:
            try:
                if receive_many is not None:
                    events = await receive_many(self.channel)
                else:
                    events = [await self.layer.receive(self.channel)]
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("channel layer receive failed; pages will reconnect", exc_info=True)
                await self.drop_everyone()
                return
            for event in events:
                self.dispatch(event)

    async def refresh(self):
        """The heartbeat: keep the group memberships alive (channels-redis
        expires them) and every socket's presence entry, in one call per room,
        and notice a Redis that restarted and lost them."""
        while True:
            await asyncio.sleep(settings.CHAT_PRESENCE_HEARTBEAT)
            try:
                for group, members in list(self.rooms.items()):
                    await self.layer.group_add(group, self.channel)
                    here = self.presence_groups.get(group)
                    if here is None or not members:
                        continue
                    if not await presence.refresh(here, group, list(members)):
                        raise ConnectionError("Redis lost this process's presence entries")
                await self.refresh_socket_counts()
            except Exception:
                log.warning("heartbeat failed; pages will reconnect and catch up", exc_info=True)
                await self.drop_everyone()
                return

    async def refresh_socket_counts(self):
        """Keep this process's sockets counted against their users' caps, and
        those on screen recorded as such."""
        by_user, on_screen = {}, {}
        for socket in self.groups_of:
            by_user.setdefault(socket.user_pk, []).append(socket.socket_id)
            if socket.on_screen:
                on_screen.setdefault(socket.user_pk, []).append(socket.socket_id)
        if by_user:
            await sockets.registry().refresh(by_user)
        if on_screen:
            await visibility.record().refresh(on_screen)

    async def drop_everyone(self):
        # A socket in several groups reconnects once.
        sockets = list(dict.fromkeys(socket for group in self.rooms.values() for socket in group))
        self.rooms.clear()
        self.groups_of.clear()
        metrics.sockets_open(0)
        self.presence_groups.clear()
        self.pending.clear()
        self.flushed_at.clear()
        self.posted_at.clear()
        self.writing.clear()
        self.stop()
        old, self.layer, self.channel = self.layer, private_layer(), None
        if old is not self.layer and hasattr(old, "close_pools"):
            self.in_background(asyncio.wait_for(old.close_pools(), 5))
        for socket in sockets:
            await socket.reconnect()

    def dispatch(self, event):
        group = event.get("group")
        if group not in self.rooms:
            return
        if event["type"] == broadcast.FRAGMENT:
            pending = self.pending.setdefault(group, [])
            pending.append(Filtered.of(event))
            if "posted_at" in event:
                self.posted_at.setdefault(group, []).append(event["posted_at"])
            if len(pending) == 1:
                # A frame at once when the group had none for a whole window;
                # else the window's wait, for what else comes (as many frames
                # as messages would cost a busy room more per message).
                loop, window = asyncio.get_running_loop(), self.window(group)
                if loop.time() - self.flushed_at.get(group, float("-inf")) >= window:
                    self.flush(group)
                else:
                    loop.call_later(window, self.flush, group)
        else:
            # Control events act per socket; fragments before them go first.
            self.flush(group)
            for socket in list(self.rooms[group]):
                self.in_background(socket.control(event))

    def in_background(self, coroutine):
        # The event loop keeps only a weak reference to a task: one that no
        # one holds can be garbage-collected before it finishes.
        task = asyncio.create_task(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    @staticmethod
    def window(group):
        """Seconds between two frames of a group, at least. The room list
        group reaches every open page with every message anywhere (unread
        counts): a longer window makes that one frame per page per window
        however busy the site, and counts need no 50 ms."""
        if group == broadcast.LIST_GROUP:
            return settings.CHAT_LIST_COALESCE_MS / 1000
        return settings.CHAT_BROADCAST_COALESCE_MS / 1000

    def flush(self, group):
        fragments = self.pending.pop(group, None)
        posted_at = self.posted_at.pop(group, ())
        if fragments and group in self.rooms:
            self.flushed_at[group] = asyncio.get_running_loop().time()
            # One prepared frame for every socket (one per variant when some
            # fragments are filtered). A write waits for the previous one, so
            # every socket gets the group's frames in the same order even
            # when a send has to wait.
            previous = self.writing.get(group)
            task = asyncio.create_task(self.write(previous, self.frames(fragments, self.rooms[group]), posted_at))
            self.writing[group] = task
            task.add_done_callback(
                lambda done: self.writing.pop(group, None) if self.writing.get(group) is done else None
            )

    def frames(self, fragments, sockets):
        """[(frame, sockets)]: the frames to write and who gets each. Only
        filtered fragments cost a look at each socket; their variants are
        rendered already, so sockets are grouped by which ones they get.

        A fragment for everyone but the sockets of one group (`skip`: a
        message's news for the room lists, which the room's own pages get
        as the message itself) is looked up through that group's few
        sockets, not through every socket: a window of news reaches every
        open page, and asking each page about each message was a quarter
        of the event loop in `make bench`'s many rooms (5000 pages)."""
        if all(isinstance(fragment, str) for fragment in fragments):
            return [("".join(fragments), list(sockets))]
        filtered = [fragment for fragment in fragments if not isinstance(fragment, str)]
        # What each filtered fragment gives a socket outside its skip group,
        # or None where that depends on the socket's user.
        usual = tuple(f.html if f.allowed is None and not f.excluded else None for f in filtered)
        per_user = [i for i, variant in enumerate(usual) if variant is None]
        skipping = {}  # socket -> the filtered fragments it skips, by index
        for i, fragment in enumerate(filtered):
            for socket in self.rooms.get(fragment.skip, ()) if fragment.skip is not None else ():
                skipping.setdefault(socket, []).append(i)
        by_variant = {usual: []}
        for socket in sockets:
            if not per_user and socket not in skipping:
                by_variant[usual].append(socket)
                continue
            key = list(usual)
            for i in per_user:
                key[i] = self.variant(filtered[i], socket)
            for i in skipping.get(socket, ()):
                key[i] = ""
            by_variant.setdefault(tuple(key), []).append(socket)
        deliveries = []
        for key, members in by_variant.items():
            if not members:  # everyone's variants depend on their user
                continue
            chosen = iter(key)
            frame = "".join(fragment if isinstance(fragment, str) else next(chosen) for fragment in fragments)
            if frame:
                deliveries.append((frame, members))
        return deliveries

    def variant(self, fragment, socket):
        if fragment.skip is not None and socket in self.rooms.get(fragment.skip, ()):
            return ""
        if (fragment.allowed is None or socket.user_pk in fragment.allowed) and socket.user_pk not in fragment.excluded:
            return fragment.html
        if fragment.otherwise_to is None or socket.user_pk in fragment.otherwise_to:
            return fragment.otherwise
        return ""

    @staticmethod
    async def write(previous, deliveries, posted_at=()):
        """Write each frame to its sockets; `posted_at`: the commit times of the
        new messages among them, measured once every socket has its frame."""
        if previous is not None:
            await asyncio.wait([previous])
        written = 0
        for frame, members in deliveries:
            # Framed once for every socket (on daphne: realtime/transport.py).
            frame = transport.Prepared(frame)
            for socket in members:
                try:
                    await socket.send_frame(frame)
                    written += 1
                except Exception:  # a socket closing mid-broadcast must not stop the others
                    log.debug("dropping a frame for a closing socket", exc_info=True)
                if written % YIELD_EVERY == 0:
                    # A send that the socket takes at once never suspends: let
                    # other groups' frames (a room's message) go between these.
                    await asyncio.sleep(0)
        if posted_at:
            metrics.delivered(posted_at, written)


_hubs = weakref.WeakKeyDictionary()


def get_hub():
    """This event loop's hub (one per server process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None or hub.shared is not get_channel_layer():  # settings changed (tests)
        hub = _hubs[loop] = Hub()
    return hub
