"""The channel layer with Redis: channels-redis's, receiving in batches.

channels-redis's `receive()` takes one event per four Redis round trips
(put back what a cancelled receive left in the channel's backup queue, pop
one event, back it up, then clear the backup) and holds the channel until
the fourth is answered. The hub (realtime/hub.py) is one channel per process receiving two events
per message (the room's fragment and the room list's news), so at a busy
room's rate those round trips are most of what the hub's reader does. In
`make bench` (one room of 1000 on PostgreSQL) the stable rate stayed where
it was (78-85 msg/s): the limit there is the sender socket's serial post
path, not the receive; this saves the event loop the round trips.

`receive_many()` pops every waiting event at once, up to RECEIVE_BATCH, in
the order sent: one round trip per batch while events arrive, and a blocking
pop (channels-redis's BZPOPMIN with its timeout) only when none waits. It
keeps no backup queue: an event is lost only when the receiving task is
cancelled while a pop's answer is on its way, and the hub cancels its
reader only when it stops, after which its pages reconnect and catch up
from the database.

`group_send_many()` sends events to groups, in order, in two round trips
however many there are: the members of every group at once, then one
script that queues each event on its members' channels. channels-redis's
`group_send()` takes four per event (expire the group, read it, expire the
channels' old events, a script sent in full), and a message posted is two
events (the room's fragment, the room list's news): eight round trips, and
a third of the event loop's time in a profile of `make bench`'s posting.
The layer's `group_send()` is the same with one event. Both go over a pool
whose callers wait for a connection rather than fail (`create_pool`).
"""

import logging
import time

from channels_redis.core import RedisChannelLayer as ChannelsRedisLayer
from channels_redis.utils import create_pool

from core import redis_clients

log = logging.getLogger(__name__)

# Events one receive_many() may return (a busy room's coalescing window at
# a few hundred messages a second; more wait for the next call).
RECEIVE_BATCH = 200

# Queue each event (ARGV[i]) on its channel's key (KEYS[i]) unless that
# channel is full (capacity: ARGV[i + #KEYS]), dropping the key's expired
# events first, as channels-redis's group_send does. Events queued here
# are scored a microsecond apart, in the order given: a channel pops them
# in that order. Returns how many were not queued (full channels).
QUEUE_EVENTS = """
local now = tonumber(ARGV[#ARGV - 1])
local expiry = tonumber(ARGV[#ARGV])
local full = 0
for i = 1, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, now - expiry)
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + #KEYS]) then
        redis.call('ZADD', KEYS[i], now + i / 1000000, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        full = full + 1
    end
end
return full
"""


class RedisChannelLayer(ChannelsRedisLayer):
    def create_pool(self, index):
        """A pool whose callers wait for a free connection, as the event
        loop's other Redis client does (core/redis_clients.py): 1000 pages
        joining at once each announce their presence to their room, and
        the default pool failed the 101st at once (40 of 5000 joins sent
        away to reconnect in one bench run)."""
        host = dict(self.hosts[index])
        if "address" not in host:  # Sentinel: channels-redis's own pool
            return create_pool(host)
        return redis_clients.waiting_pool(host.pop("address"), **host)

    async def group_send(self, group, message):
        await self.group_send_many([(group, message)])

    async def group_send_many(self, sends):
        """Send each (group, event) of `sends` to its group's channels, in
        order (a channel in several of the groups receives its events in
        that order), in two round trips. With several Redis servers (the
        groups and channels spread over them), one group_send each."""
        for group, _ in sends:
            assert self.require_valid_group_name(group), "Group name not valid"
        if self.ring_size != 1:
            for group, message in sends:
                await super().group_send(group, message)
            return
        connection = self.connection(0)
        now = time.time()
        group_keys = list(dict.fromkeys(self._group_key(group) for group, _ in sends))
        pipe = connection.pipeline(transaction=False)
        for key in group_keys:
            pipe.zremrangebyscore(key, min=0, max=int(now) - self.group_expiry)
            pipe.zrange(key, 0, -1)
        answers = await pipe.execute()
        members = {key: [name.decode() for name in answers[2 * i + 1]] for i, key in enumerate(group_keys)}
        keys, events, capacities = [], [], []
        for group, message in sends:
            _, serialized, capacity = self._map_channel_keys_to_connection(members[self._group_key(group)], message)
            for key, event in serialized.items():
                keys.append(key)
                events.append(event)
                capacities.append(capacity[key])
        if not keys:
            return
        if self.queue_events is None:
            self.queue_events = connection.register_script(QUEUE_EVENTS)
        full = await self.queue_events(keys=keys, args=[*events, *capacities, now, self.expiry], client=connection)
        if full:
            log.info("%d of %d events not queued: their channels are full", full, len(keys))

    queue_events = None  # QUEUE_EVENTS, registered with Redis on first use

    async def receive_many(self, channel):
        """The events waiting on a process-specific channel (one of
        `new_channel()`'s), oldest first; waits up to the layer's blocking
        timeout for one when none is there (then returns none)."""
        assert "!" in channel, "receive_many() takes a process-specific channel"
        name = self.non_local_name(channel)
        key = self.prefix + name
        connection = self.connection(self.consistent_hash(name))
        popped = await connection.zpopmin(key, RECEIVE_BATCH)
        if not popped:
            waited = await connection.bzpopmin(key, timeout=self.brpop_timeout)
            popped = [] if waited is None else [(waited[1], waited[2])]
        events = []
        for content, _sent_at in popped:
            event = self.deserialize(content)
            # The channels an event is for (a group_send names, in one event,
            # every member channel that shares its key): only the hub's
            # channel shares this key, its layer instance has no other.
            addressed = event.pop("__asgi_channel__", [channel])
            if channel in ([addressed] if isinstance(addressed, str) else addressed):
                events.append(event)
        return events
