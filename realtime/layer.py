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
from the database. Sending is channels-redis's, unchanged, over a pool
whose callers wait for a connection rather than fail (`create_pool`).
"""

from channels_redis.core import RedisChannelLayer as ChannelsRedisLayer
from channels_redis.utils import create_pool

from core import redis_clients

# Events one receive_many() may return (a busy room's coalescing window at
# a few hundred messages a second; more wait for the next call).
RECEIVE_BATCH = 200


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
