"""make bench: fan-out of one room to N receivers, ours on daphne, uvicorn
and granian vs the Channels tutorial (peer) vs a bare websockets server
(ceiling); many rooms; ours on SQLite; idle memory per connection; the CPU
and queries of one post. Medians of --repeats repeats. See bench/README.md.
"""

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import signal
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import accounts, posts, report
from .loadgen import (
    PARSERS,
    Endpoint,
    StepResult,
    Tracker,
    connect_many,
    connect_one,
    judge,
    monotonic_ns,
    summarize,
    token_text,
)
from .services import ROOT, UVICORN_WS, Bare, Daphne, Database, Granian, Redis, Uvicorn, machine_busy_seconds

# msg/s; the sweep stops at the first unstable step, then halves the gap
# below it (Config.refine_steps).
LADDER = [1, 1.5, 2, 3, 4, 5, 7, 10, 14, 20, 30, 40, 50, 70, 100, 140, 200, 300, 400, 500, 700, 1000, 1400, 2000, 3000]
# BENCH_QUICK's: enough to see every scenario work.
QUICK_LADDER = [1, 3, 10, 30]
# Tried, in order, only when the first rung is unstable.
BELOW = [0.5, 0.25]


def rate_between(stable, failed):
    """The rate halfway from a stable rate to a failed one, to two significant
    figures (85 between 70 and 100, 4.5 between 4 and 5); None when no such
    rate lies strictly between them."""
    middle = (stable + failed) / 2
    digits = 1 - math.floor(math.log10(middle))
    rate = round(middle, digits)
    rate = int(rate) if rate == int(rate) else rate
    return rate if stable < rate < failed else None


SCENARIOS = {
    # name: (application, server, processes, path template, frame parser, label)
    "ours": ("ours", "daphne", 1, "/ws/rooms/{room}/", "html", "ours (daphne, 1 process)"),
    "peer": ("peer", "daphne", 1, "/ws/peer/{room}/", "json", "peer: Channels tutorial (daphne, 1 process)"),
    "bare": ("bare", None, 1, "/ws/bare/{room}/", "json", "bare websockets.broadcast (1 process)"),
    "ours-uvicorn": ("ours", "uvicorn", 1, "/ws/rooms/{room}/", "html", "ours (uvicorn --ws {ws}, 1 process)"),
    "ours-granian": ("ours", "granian", 1, "/ws/rooms/{room}/", "html", "ours (granian, 1 process)"),
    # The same as `ours`, on a SQLite database of its own (when the run's is PostgreSQL).
    "ours-sqlite": ("ours", "daphne", 1, "/ws/rooms/{room}/", "html", "ours (daphne, 1 process) on SQLite"),
    "peer-uvicorn": (
        "peer",
        "uvicorn",
        1,
        "/ws/peer/{room}/",
        "json",
        "peer: Channels tutorial (uvicorn --ws {ws}, 1 process)",
    ),
    "peer-granian": ("peer", "granian", 1, "/ws/peer/{room}/", "json", "peer: Channels tutorial (granian, 1 process)"),
    "ours-2p": ("ours", "daphne", 2, "/ws/rooms/{room}/", "html", "ours (daphne, 2 processes, same Redis)"),
    "ours-uvicorn-2p": (
        "ours",
        "uvicorn",
        2,
        "/ws/rooms/{room}/",
        "html",
        "ours (uvicorn --ws {ws}, 2 processes, same Redis)",
    ),
    # Many rooms: --rooms-sockets receivers spread over --rooms rooms, one
    # sender socket per room, the aggregate rate spread over the rooms in turn.
    "rooms": ("ours", "daphne", 1, "/ws/rooms/{room}/", "html", "ours, many rooms (daphne, 1 process)"),
    "rooms-2p": (
        "ours",
        "daphne",
        2,
        "/ws/rooms/{room}/",
        "html",
        "ours, many rooms (daphne, 2 processes, same Redis)",
    ),
}
MANY_ROOMS = {"rooms", "rooms-2p"}
# Each repeat runs the fan-out scenarios, idle and posts in this order; the
# parts after them (uploads, datascale, import) run once, after the repeats.
DEFAULT_ORDER = [
    "ours",
    "ours-uvicorn",
    "ours-granian",
    "peer",
    "bare",
    "rooms",
    "ours-sqlite",
    "idle",
    "posts",
    "uploads",
    "datascale",
    "import",
]
OPTIONAL = ["ours-2p", "peer-uvicorn", "peer-granian", "ours-uvicorn-2p", "rooms-2p"]
# Memory per idle socket is measured for these, one process each.
IDLE_KINDS = ["ours", "ours-uvicorn", "ours-granian", "peer", "bare"]
APPLICATIONS = {"ours": "project.asgi:application", "peer": "bench.peer.asgi:application"}


def label(name, config):
    return SCENARIOS[name][5].format(ws=config.uvicorn_ws)


@dataclass
class Config:
    receivers: int = 1000
    # The many-rooms scenarios: sockets spread evenly over rooms.
    rooms: int = 500
    rooms_sockets: int = 5000
    idle: int = 2000
    idle_room_size: int = 10
    idle_kinds: list = field(default_factory=lambda: list(IDLE_KINDS))
    warm: int = 20
    accounts: int = 20
    step_seconds: float = 4.0
    min_messages: int = 12
    max_step_seconds: float = 8.0
    drain_seconds: float = 3.0
    settle_timeout: float = 240.0
    retries: int = 1
    # Extra retries for steps that failed while other processes took half a core or more.
    contended_retries: int = 2
    contended_share: float = 0.5
    ladder: list = field(default_factory=lambda: list(LADDER))
    # Steps halving the gap between the ladder's last stable rung and the
    # one that failed (rate_between).
    refine_steps: int = 2
    scenarios: list = field(default_factory=lambda: list(DEFAULT_ORDER))
    # Every fan-out scenario, idle and posts run this many times, in turn;
    # the tables show each figure's median.
    repeats: int = 3
    # Seconds the repeats may take in all, shared equally between them.
    budget: float = 3300.0
    # The posts scenario: messages posted one at a time, per repeat.
    posts_messages: int = 200
    # uvicorn's WebSocket implementation for the *-uvicorn scenarios.
    uvicorn_ws: str = "websockets-sansio"
    quick: bool = False
    # The data-scale part (bench/datascale/): message counts to seed, and its own options.
    datascale_sizes: str = "10000,1000000"
    datascale_large: bool = False
    out: str = str(ROOT / "bench" / "results")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def server_env(database_url, redis_url, secret_key):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "PYTHONPATH"}}
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": secret_key,
            # Production settings, minus the HTTPS redirect (everything is plain HTTP on 127.0.0.1).
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SETTINGS_MODULE": "project.settings",
            # One sender sends far more than a person may: raise flood control through settings.
            "CHAT_RATE_LIMIT_MESSAGES": "100000000",
            "CHAT_RATE_LIMIT_SECONDS": "10",
            # Receivers share accounts like tabs (--accounts): 1000 sockets over 20
            # accounts is 50 per account, above the per-user socket limit.
            "CHAT_MAX_SOCKETS_PER_USER": "1000000",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class Cluster:
    """The server processes of one scenario, and CPU readings across them and Redis."""

    def __init__(self, name, config, env, redis, log_dir, processes=None):
        app, server, count, *_ = SCENARIOS[name]
        self.redis = redis
        count = count if processes is None else processes
        if app == "bare":
            self.servers = [Bare(log_dir, env) for _ in range(count)]
        elif server == "uvicorn":
            self.servers = [Uvicorn(log_dir, env, APPLICATIONS[app], config.uvicorn_ws) for _ in range(count)]
        elif server == "granian":
            self.servers = [Granian(log_dir, env, APPLICATIONS[app]) for _ in range(count)]
        else:
            self.servers = [Daphne(log_dir, env, APPLICATIONS[app]) for _ in range(count)]

    def start(self):
        for server in self.servers:
            server.start()
        return self

    def stop(self):
        for server in self.servers:
            server.stop()

    def check_alive(self):
        for server in self.servers:
            if not server.alive():
                raise RuntimeError(f"{server.name} on port {server.port} died:\n{server.log_tail()}")

    def cpu(self):
        return sum(server.cpu() for server in self.servers)

    def cpu_each(self):
        return [server.cpu() for server in self.servers]

    def rss(self):
        return sum(server.rss() for server in self.servers)

    def snapshot(self):
        return (self.cpu(), self.redis.cpu(), time.process_time(), machine_busy_seconds(), time.monotonic())

    def log_report(self):
        """What the servers logged that a benchmark reader should know about."""
        needles = {"app_exceptions": "Exception inside application", "tracebacks": "Traceback (most recent call last)"}
        out = {key: sum(s.log_count(n) for s in self.servers) for key, n in needles.items()}
        sample = next((x for x in (s.log_sample(needles["app_exceptions"]) for s in self.servers) if x), None)
        if sample:
            out["app_exception_sample"] = sample
        return out

    def endpoints(self, path):
        return [Endpoint("127.0.0.1", s.port, path, s.origin) for s in self.servers]


def delta(before, after):
    return tuple(b - a for a, b in zip(before[:4], after[:4], strict=True))


async def quiet(cluster, timeout, share=0.05, interval=0.5, needed=2):
    """Until the servers use less than `share` of a core for `needed` intervals in a row, or timeout."""
    deadline = time.monotonic() + timeout
    calm = 0
    last = cluster.cpu()
    while time.monotonic() < deadline:
        await asyncio.sleep(interval)
        now = cluster.cpu()
        calm = calm + 1 if (now - last) / interval < share else 0
        last = now
        if calm >= needed:
            return True
    return False


class Sweep:
    """One room, N receivers spread over the cluster's processes, one sender."""

    def __init__(self, name, config, cluster, accounts_, sender_account):
        app, server, processes, path, parser, _ = SCENARIOS[name]
        self.name = name
        self.label = label(name, config)
        self.config = config
        self.cluster = cluster
        self.accounts = accounts_
        self.sender_account = sender_account
        # One room (the lobby) with every receiver, or many rooms of
        # `per_room` receivers each: receiver i is in room i // per_room, and
        # message `seq` goes to room seq % rooms through that room's sender.
        self.rooms = [f"bench-room-{k:03d}" for k in range(config.rooms)] if name in MANY_ROOMS else ["lobby"]
        self.receivers = config.rooms_sockets if name in MANY_ROOMS else config.receivers
        self.per_room = self.receivers // len(self.rooms)
        self.receivers = self.per_room * len(self.rooms)
        if name in MANY_ROOMS:
            self.label += f": {self.receivers} sockets over {len(self.rooms)} rooms"
        self.path_template = path
        self.parse = PARSERS[parser]
        self.run_id = uuid.uuid4().hex[:8]
        self.tracker = Tracker(self.run_id, self.per_room)
        self.seq = 0
        self.sender_errors = 0
        self.sender_error_sample = None
        self.reconnects = 0
        self.sender_reconnects = 0
        self.close_codes = {}
        self.clients = []
        self.senders = []
        self.result = {
            "name": name,
            "label": self.label,
            "kind": app,
            "server": server,
            "processes": processes,
            "receivers": self.receivers,
            "rooms": len(self.rooms),
            "receivers_per_message": self.per_room,
            "accounts": len(accounts_),
            "steps": [],
        }

    def on_text(self, index, data, now):
        if index >= 0:
            # The tracker counts a message's receivers within its room.
            self.tracker.deliver(index % self.per_room, self.parse(data), now)
        elif b'id="chat-errors"' in data:
            self.sender_errors += 1
            self.sender_error_sample = data[:300].decode(errors="replace")

    def send(self):
        self.seq += 1
        now = monotonic_ns()
        record = self.tracker.expect(self.seq, now)
        sender = self.senders[self.seq % len(self.senders)]
        sender.send_text(json.dumps({"message": token_text(self.run_id, self.seq, now)}))
        return record

    def endpoint(self, room, k):
        """The endpoint of `room` on the cluster's k-th process (round robin)."""
        endpoints = self.cluster.endpoints(self.path_template.format(room=room))
        return endpoints[k % len(endpoints)]

    async def heal(self):
        """Reconnect the sockets the server closed, as the page does; returns how many."""
        dead = [c for c in self.clients if not c.is_open]
        for k, sender in enumerate(self.senders):
            if not sender.is_open:
                sender.abort()
                self.senders[k] = await connect_one(sender.index, sender.endpoint, sender.cookie, self.on_text)
                self.sender_reconnects += 1
        if not dead:
            return 0
        for client in dead:
            self.close_codes[str(client.close_code)] = self.close_codes.get(str(client.close_code), 0) + 1
            client.abort()
        fresh = await connect_many([(c.index, c.endpoint, c.cookie) for c in dead], self.on_text)
        for client in fresh:
            self.clients[client.index] = client
        self.reconnects += len(dead)
        return len(dead)

    async def connect(self, run_deadline):
        n = self.receivers
        specs = [
            (i, self.endpoint(self.rooms[i // self.per_room], i), self.accounts[i % len(self.accounts)][1])
            for i in range(n)
        ]
        before = self.cluster.snapshot()
        t0 = time.monotonic()
        self.clients = await connect_many(specs, self.on_text, timeout=max(120, n * 0.2))
        # Senders are on the first process; sender k posts in room k (message seq goes to seq % rooms).
        self.senders = await connect_many(
            [(-1 - k, self.endpoint(room, 0), self.sender_account[1]) for k, room in enumerate(self.rooms)],
            self.on_text,
            timeout=max(120, len(self.rooms) * 0.2),
        )
        connected = time.monotonic() - t0
        frames_at_connect = sum(client.frames for client in self.clients)
        log(f"  {n} receivers connected in {connected:.1f} s; waiting for the servers to settle")
        # Settle: a probe message reaches every receiver only after everything
        # queued before it (the presence fragments of every join). A probe may
        # be dropped (channel layer capacity) and sockets may be closed by the
        # server: every few seconds the dropped sockets are reconnected and a
        # new probe is sent, until one reaches every receiver.
        # Settling starts once every socket is open (connecting thousands may take a while).
        deadline = min(time.monotonic() + self.config.settle_timeout, run_deadline - 30)
        probes = []
        probe = None
        healed = 0
        per_room = self.per_room
        reached = 0
        while time.monotonic() < deadline:
            await self.heal()
            # One probe per room, paced: each message also signals every room
            # list (the sidebars' unread counts) through one channel per
            # process, and a burst above channels-redis' capacity (100) is dropped.
            batch = []
            for _ in self.rooms:
                batch.append(self.send())
                if len(self.rooms) > 1:
                    await asyncio.sleep(0.02)
            probes += batch
            probe = batch[-1]
            # A batch is a burst of one message per room: give each room's write its turn.
            until = min(deadline, time.monotonic() + 5 + 0.05 * len(self.rooms))
            while time.monotonic() < until and any(p.count < per_room for p in batch):
                await asyncio.sleep(0.05)
            reached = sum(p.count for p in batch)
            if reached == n:
                # Settled only if the servers are quiet and kept every socket.
                await quiet(self.cluster, timeout=max(0, min(15, deadline - time.monotonic())))
                healed = await self.heal()
                if not healed:
                    break
        settled = time.monotonic() - t0
        after = self.cluster.snapshot()
        server_cpu = after[0] - before[0]
        open_now = sum(1 for c in self.clients if c.is_open)
        frames = sum(client.frames for client in self.clients) - sum(p.count for p in probes)
        self.result["connect"] = {
            "frames_received": frames,
            "frames_received_while_connecting": frames_at_connect,
            "seconds_to_connect": round(connected, 2),
            "seconds_to_settle": round(settled, 2),
            "server_cpu_s": round(server_cpu, 2),
            "probes_sent": len(probes),
            "probe_reached": reached,
            "probe_latency_ms": round((probe.last_ns - probe.sent_ns) / 1e6, 1) if probe and probe.count else None,
            "sockets_dropped_by_server": self.reconnects,
            "close_codes_of_dropped": dict(self.close_codes),
            "open_sockets": open_now,
        }
        log(
            f"  settled after {settled:.1f} s (server CPU {server_cpu:.1f} s, {len(probes)} probes); "
            f"last probes reached {reached}/{n}; the server dropped {self.reconnects} "
            f"sockets (reconnected); {open_now} open"
        )
        if not probe or reached < n or healed:
            raise RuntimeError(
                f"{self.name}: no probe reached all {n} receivers within {settled:.0f} s ({open_now} sockets open)"
            )

    async def step(self, rate):
        c = self.config
        count = max(c.min_messages, round(rate * c.step_seconds))
        count = max(2, min(count, round(rate * c.max_step_seconds)))
        n = self.per_room
        result = StepResult(rate=rate, seconds=count / rate)
        if await self.heal():
            await quiet(self.cluster, timeout=10)
        errors_before = self.sender_errors
        per_process = self.cluster.cpu_each()
        before = self.cluster.snapshot()
        news_before = sum(client.news for client in self.clients)
        records = []
        start = time.monotonic()
        for k in range(count):
            delay = start + k / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            records.append(self.send())
        target = self.tracker.delivered + sum(n - r.count for r in records)
        deadline = time.monotonic() + c.drain_seconds
        await self.tracker.wait_delivered(target, c.drain_seconds)
        while time.monotonic() < deadline and any(r.count < n for r in records):
            await asyncio.sleep(0.05)
        after = self.cluster.snapshot()
        result.sender_errors = self.sender_errors - errors_before
        result.dropped = sum(1 for client in self.clients if not client.is_open)
        news = sum(client.news for client in self.clients) - news_before
        summarize(result, records, n, records[0].sent_ns, after[-1], delta(before, after), news)
        if len(per_process) > 1:
            seconds = max(after[-1] - records[0].sent_ns / 1e9, 1e-3)
            result.server_cpu_shares = [
                (b - a) / seconds for a, b in zip(per_process, self.cluster.cpu_each(), strict=True)
            ]
        judge(result)
        self.cluster.check_alive()
        return result, records

    async def sweep(self, deadline):
        c = self.config
        all_records = []
        retries = c.retries
        contended = c.contended_retries

        async def attempt(rate, retry=False):
            result, records = await self.step(rate)
            result.retry = retry
            all_records.append((result, records))
            self.result["steps"].append(result)
            log(
                f"  {rate:>6g} msg/s{' (retry)' if retry else ''}: sent {result.sent} at "
                f"{result.achieved_rate:.1f}/s, {result.deliveries_per_s:,.0f} deliveries/s, "
                f"p50 {fmt_ms(result.p50_ms)} p99 {fmt_ms(result.p99_ms)}, lost {result.lost}, "
                f"dup {result.duplicated}, server {fmt_us(result.server_cpu_us_per_delivery)}/delivery "
                f"({result.server_cpu_share:.0%} CPU{per_process_shares(result)}), "
                f"loadgen {result.loadgen_cpu_share:.0%}, "
                f"others {result.other_cpu_share:.0%}"
                f" -> {'stable' if result.stable else 'UNSTABLE: ' + ', '.join(result.reasons)}"
            )
            return result.stable

        def time_left():
            if deadline - time.monotonic() < c.max_step_seconds + c.drain_seconds + 5:
                log("  time budget reached: sweep stopped")
                self.result["stopped_by_budget"] = True
                return False
            return True

        async def holds(rate):
            """The rate is stable: at once, or on a retry (the machine is
            shared: an unstable step may be someone else's burst; drain, then
            try the same rate again: once in the sweep in any case, and a few
            more times while other processes took the cores)."""
            nonlocal retries, contended
            if await attempt(rate):
                return True
            while time_left():
                last = self.result["steps"][-1]
                if last.other_cpu_share >= c.contended_share and contended > 0:
                    contended -= 1
                elif retries > 0:
                    retries -= 1
                else:
                    break
                await quiet(self.cluster, timeout=20)
                if await attempt(rate, retry=True):
                    return True
            return False

        for index, rate in enumerate(c.ladder):
            if not time_left():
                break
            if await holds(rate):
                continue
            if index == 0:
                for lower in BELOW:
                    if not time_left():
                        break
                    await quiet(self.cluster, timeout=20)
                    if await attempt(lower):
                        break
                break
            # The ladder's top rungs are far apart (50, 70, 100): halve the
            # gap between the last stable rate and the one that failed a few
            # times, so the ratios between servers are not the ladder's.
            stable, failed = c.ladder[index - 1], rate
            for _ in range(c.refine_steps):
                between = rate_between(stable, failed)
                if between is None or not time_left():
                    break
                await quiet(self.cluster, timeout=20)
                if await holds(between):
                    stable = between
                else:
                    failed = between
            break
        # Messages that came after their step's window are late, not lost.
        if all_records and any(r.lost for r, _ in all_records):
            await asyncio.sleep(min(5, max(0, deadline - time.monotonic())))
            for result, records in all_records:
                final_lost = sum(self.per_room - r.count for r in records)
                result.late = result.lost - final_lost
                result.lost_final = final_lost
        stable = [r.rate for r, _ in all_records if r.stable]
        self.result["max_stable_rate"] = max(stable) if stable else 0
        # The step that bounds the stable rate: the last attempt at the lowest
        # rate above it that failed.
        failed = [r for r, _ in all_records if not r.stable and r.rate > self.result["max_stable_rate"]]
        if not failed:  # nothing held: the highest rate tried that failed
            failed = [r for r, _ in all_records if not r.stable]
        bound = (min if stable else max)((r.rate for r in failed), default=None)
        self.result["first_unstable"] = asdict([r for r in failed if r.rate == bound][-1]) if failed else None
        self.result["sender_error_sample"] = self.sender_error_sample
        self.result["foreign_tokens"] = self.tracker.foreign
        self.result["sockets_dropped_by_server"] = self.reconnects + sum(1 for c in self.clients if not c.is_open)
        self.result["close_codes_of_dropped"] = dict(self.close_codes)

    def close(self):
        for client in self.clients + self.senders:
            client.abort()


def per_process_shares(result):
    shares = result.server_cpu_shares
    return f" = {' + '.join(f'{x:.0%}' for x in shares)}" if shares else ""


def fmt_ms(value):
    return "-" if value is None else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def fmt_us(value):
    return "-" if value is None else f"{value:.0f} µs"


async def run_sweep(name, config, redis, env, log_dir, accounts_, sender_account, deadline):
    redis.flush()
    cluster = Cluster(name, config, env, redis, log_dir)
    sweep = Sweep(name, config, cluster, accounts_, sender_account)
    log(f"{sweep.label}: N={sweep.receivers}" + (f" over {len(sweep.rooms)} rooms" if len(sweep.rooms) > 1 else ""))
    try:
        cluster.start()
        await sweep.connect(deadline)
        await sweep.sweep(deadline)
    except Exception as error:  # noqa: BLE001 - a failed scenario is reported, the others still run
        sweep.result["error"] = f"{type(error).__name__}: {error}"
        log(f"  FAILED: {sweep.result['error'][:2000]}")
    finally:
        # Servers first: closing 1000 sockets on a live server would start a
        # leave storm that measures nothing.
        cluster.stop()
        sweep.result["server_log"] = cluster.log_report()
        sweep.close()
        await asyncio.sleep(0.2)
    sweep.result["steps"] = [asdict(s) for s in sweep.result["steps"]]
    return sweep.result


async def run_idle(kind, config, redis, env, log_dir, accounts_, room_slugs):
    """RSS of one server process: (RSS with warm + N idle sockets - RSS with warm ones) / N."""
    redis.flush()
    cluster = Cluster(kind, config, env, redis, log_dir, processes=1)
    path = SCENARIOS[kind][3]
    clients = []
    result = {
        "kind": kind,
        "label": label(kind, config).replace(", 2 processes, same Redis", ", 1 process"),
        "sockets": config.idle,
        "room_size": config.idle_room_size,
    }
    log(f"idle memory, {kind}: {config.warm} warm-up + {config.idle} idle sockets in rooms of {config.idle_room_size}")
    try:
        cluster.start()
        endpoint = cluster.endpoints("")[0]

        def specs(start, count):
            out = []
            for i in range(start, start + count):
                room = room_slugs[(i // config.idle_room_size) % len(room_slugs)]
                ep = Endpoint(endpoint.host, endpoint.port, path.format(room=room), endpoint.origin)
                out.append((i, ep, accounts_[i % len(accounts_)][1]))
            return out

        def ignore(index, data, now):
            pass

        clients += await connect_many(specs(0, config.warm), ignore)
        await quiet(cluster, timeout=20)
        rss0 = cluster.rss()
        t0 = time.monotonic()
        clients += await connect_many(specs(config.warm, config.idle), ignore, timeout=max(120, config.idle * 0.1))
        connected = time.monotonic() - t0
        await quiet(cluster, timeout=60, needed=3)
        rss1 = cluster.rss()
        open_now = sum(1 for c in clients if c.is_open)
        result.update(
            {
                "rss_before_mib": round(rss0 / 2**20, 1),
                "rss_after_mib": round(rss1 / 2**20, 1),
                "kib_per_socket": round((rss1 - rss0) / config.idle / 1024, 1),
                "seconds_to_connect": round(connected, 1),
                "open_sockets": open_now,
            }
        )
        log(
            f"  RSS {rss0 / 2**20:.1f} -> {rss1 / 2**20:.1f} MiB: {result['kib_per_socket']} KiB per socket "
            f"({open_now}/{len(clients)} open, connected in {connected:.1f} s)"
        )
        result["sockets_dropped_by_server"] = len(clients) - open_now
    except Exception as error:  # noqa: BLE001
        result["error"] = f"{type(error).__name__}: {error}"
        log(f"  FAILED: {result['error'][:2000]}")
    finally:
        cluster.stop()
        result["server_log"] = cluster.log_report()
        for client in clients:
            client.abort()
        await asyncio.sleep(0.2)
    return result


async def run_posts(config, redis, env, log_dir, sender_account, room):
    """CPU and statements of one post (bench/posts.py), on one daphne process of ours."""
    redis.flush()
    query_log = log_dir / f"queries-{uuid.uuid4().hex[:8]}.log"
    server = Daphne(log_dir, {**env, "BENCH_QUERY_LOG": str(query_log)}, "bench.querylog:application")
    result = {
        "label": "ours (daphne, 1 process), one sender alone in a room",
        "room": room,
        "messages": config.posts_messages,
    }
    log(f"posting: {config.posts_messages} messages one at a time, alone in {room}")
    try:
        server.start()
        rows = await posts.measure(
            server, posts.endpoint_for(server, room), sender_account[1], config.posts_messages, query_log
        )
        result.update(posts.summary(rows))
        log(
            f"  p50 {result.get('cpu_ms_p50', 0):.2f} ms of server CPU and {result.get('queries_p50', '?')} "
            f"statements per message; round trip p50 {result.get('round_trip_ms_p50', 0):.1f} ms"
        )
    except Exception as error:  # noqa: BLE001
        result["error"] = f"{type(error).__name__}: {error}"
        log(f"  FAILED: {result['error'][:2000]}")
    finally:
        server.stop()
        query_log.unlink(missing_ok=True)
    return result


async def main_async(config, redis, setups, log_dir, room_slugs, posts_room, results, started):
    """setups: {"default": (env, receiver accounts, sender account)}, and
    "sqlite" the same on the SQLite database of ours-sqlite."""
    env, accounts_, sender_account = setups["default"]
    for repeat in range(config.repeats):
        # Each repeat has its share of the budget: one that overruns does not eat the next.
        deadline = started + config.budget * (repeat + 1) / config.repeats
        if config.repeats > 1:
            log(f"repeat {repeat + 1} of {config.repeats}")
        for name in config.scenarios:
            if name == "idle":
                for kind in config.idle_kinds:
                    if time.monotonic() > deadline - 30:
                        log(f"time budget reached: idle memory of {kind} skipped")
                        continue
                    one = await run_idle(kind, config, redis, env, log_dir, accounts_, room_slugs)
                    results["idle"].append({**one, "repeat": repeat})
            elif name == "posts":
                if time.monotonic() > deadline - 30:
                    log("time budget reached: posts skipped")
                    results["skipped"].append(name)
                    continue
                one = await run_posts(config, redis, env, log_dir, sender_account, posts_room)
                results["posts"].append({**one, "repeat": repeat})
            elif name == "ours-sqlite" and "sqlite" not in setups:
                if repeat == 0:
                    log("ours-sqlite skipped: the run's database is SQLite already (see ours)")
            else:
                if time.monotonic() > deadline - 45:
                    log(f"time budget reached: {name} skipped")
                    results["skipped"].append(name)
                    continue
                env_, accounts__, sender = setups["sqlite" if name == "ours-sqlite" else "default"]
                one = await run_sweep(name, config, redis, env_, log_dir, accounts__, sender, deadline)
                results["sweeps"].append({**one, "repeat": repeat})
            report.write(results, config.out, partial=True)


def raise_limits():
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def parse_args(argv):
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0", "false")
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        default=quick,
        help="smoke run: one repeat, N=100, 500 sockets over 50 rooms, 200 idle sockets, 30 posts, "
        "2 s steps of 1, 3, 10 and 30 msg/s (also BENCH_QUICK=1)",
    )
    parser.add_argument("--receivers", "-n", type=int, help="receivers in the room (default 1000; quick 100)")
    parser.add_argument("--idle", type=int, help="idle sockets for the memory figure (default 2000; quick 200)")
    parser.add_argument("--rooms", type=int, help="rooms of the many-rooms scenarios (default 500; quick 50)")
    parser.add_argument(
        "--rooms-sockets",
        type=int,
        help="receivers of the many-rooms scenarios, spread evenly (default 5000; quick 500)",
    )
    parser.add_argument("--accounts", type=int, help="receiver accounts; sockets share them like tabs (default 20)")
    parser.add_argument("--step-seconds", type=float, help="seconds per rate step (default 4; quick 2)")
    parser.add_argument("--ladder", help="comma-separated rates in msg/s")
    parser.add_argument(
        "--scenarios",
        help=f"comma-separated, from {','.join(DEFAULT_ORDER + OPTIONAL)} (default {','.join(DEFAULT_ORDER)})",
    )
    parser.add_argument("--idle-kinds", help=f"servers the idle scenario measures (default {','.join(IDLE_KINDS)})")
    parser.add_argument(
        "--uvicorn-ws",
        choices=UVICORN_WS,
        help="uvicorn's WebSocket implementation in the *-uvicorn scenarios (default websockets-sansio)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        help="runs of every fan-out scenario, idle and posts, in turn; the tables show medians (default 3; quick 1)",
    )
    parser.add_argument(
        "--posts-messages",
        type=int,
        help="messages the posts scenario sends one at a time, per repeat (default 200; quick 30)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        help="seconds the repeats may take in all (default 3300; quick 360); uploads, datascale "
        "and import come after, with their own limits",
    )
    parser.add_argument(
        "--datascale-sizes", help="message counts the datascale scenario seeds (default 10000,1000000; quick 10000)"
    )
    parser.add_argument(
        "--datascale-large",
        action="store_true",
        help="the datascale scenario also seeds 10 million messages (several minutes)",
    )
    parser.add_argument("--out", help="results folder (default bench/results)")
    args = parser.parse_args(argv)
    config = Config()
    if args.quick:
        # A smoke run: every scenario once, on a short ladder without retries.
        config = Config(
            receivers=100,
            idle=200,
            step_seconds=2.0,
            min_messages=6,
            max_step_seconds=4.0,
            drain_seconds=2.5,
            settle_timeout=60,
            budget=360,
            retries=0,
            contended_retries=0,
            refine_steps=0,
            quick=True,
            datascale_sizes="10000",
            rooms=50,
            rooms_sockets=500,
            repeats=1,
            posts_messages=30,
            ladder=list(QUICK_LADDER),
        )
    config.datascale_large = args.datascale_large
    for name in (
        "receivers",
        "idle",
        "accounts",
        "step_seconds",
        "budget",
        "out",
        "uvicorn_ws",
        "datascale_sizes",
        "rooms",
        "rooms_sockets",
        "repeats",
        "posts_messages",
    ):
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, value)
    if args.ladder:
        config.ladder = [float(x) if "." in x else int(x) for x in args.ladder.split(",")]
    if args.scenarios:
        config.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
        unknown = set(config.scenarios) - set(DEFAULT_ORDER + OPTIONAL)
        if unknown:
            parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.idle_kinds:
        config.idle_kinds = [s.strip() for s in args.idle_kinds.split(",") if s.strip()]
        unknown = set(config.idle_kinds) - set(SCENARIOS)
        if unknown:
            parser.error(f"unknown idle kinds: {', '.join(sorted(unknown))}")
    return config


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def run_datascale(config, env):
    """The data-scale part runs in its own process: it seeds its own database
    and configures Django for it (bench/datascale/run.py)."""
    import subprocess

    argv = [sys.executable, "-m", "bench.datascale", "--sizes", config.datascale_sizes, "--out", config.out]
    if config.datascale_large:
        argv.append("--large")
    if config.quick:
        argv += ["--repeats", "5", "--warmup", "1"]
    log("data-scale part: " + " ".join(argv[1:]))
    return subprocess.run(argv, cwd=ROOT, env=env).returncode


def run_import(config, env):
    """Importing a Slack export of a million messages on PostgreSQL
    (bench/slack_import.py), in its own process with its own database."""
    import subprocess

    argv = [sys.executable, "-m", "bench.slack_import", "--out", config.out]
    if config.quick:
        argv += ["--messages", "20000"]
    log("import part: " + " ".join(argv[1:]))
    return subprocess.run(argv, cwd=ROOT, env=env).returncode


def run_uploads(config, env):
    """Fan-out with and without large, slow uploads in flight (bench/uploads.py),
    in its own process with its own server."""
    import subprocess

    argv = [sys.executable, "-m", "bench.uploads", "--out", config.out]
    if config.quick:
        argv += ["--receivers", "100", "--seconds", "4"]
    log("uploads part: " + " ".join(argv[1:]))
    return subprocess.run(argv, cwd=ROOT, env=env).returncode


def main(argv=None):
    config = parse_args(sys.argv[1:] if argv is None else argv)
    parts = {name: name in config.scenarios for name in ("uploads", "datascale", "import")}
    config.scenarios = [name for name in config.scenarios if name not in parts]
    # The parts after the fan-out make their own databases from the
    # environment the run started with: the fan-out's Django settings
    # (accounts.setup_django) name its own database, dropped at its end.
    env = dict(os.environ)
    if config.scenarios:
        run_fanout(config)
    if parts["uploads"] and run_uploads(config, env):
        raise SystemExit("the uploads part failed")
    if parts["datascale"] and run_datascale(config, env):
        raise SystemExit("the data-scale part failed")
    if parts["import"] and run_import(config, env):
        raise SystemExit("the import part failed")


def sqlite_accounts(env, count):
    """Migrate the SQLite database of `env` and make `count` signed-in
    accounts there, in a process of its own (this one's Django is set up for
    the run's database): [(username, cookie header)]."""
    import subprocess

    out = subprocess.run(
        [sys.executable, "-m", "bench.accounts", str(count)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return [tuple(pair) for pair in json.loads(out.stdout.strip().splitlines()[-1])]


def run_fanout(config):
    started = time.monotonic()
    raise_limits()
    # SIGTERM unwinds like Ctrl-C, through every cleanup below.
    signal.signal(signal.SIGTERM, _interrupt)
    out = Path(config.out)
    log_dir = out / "raw"
    log_dir.mkdir(parents=True, exist_ok=True)
    results = {
        "config": asdict(config),
        "sweeps": [],
        "idle": [],
        "posts": [],
        "skipped": [],
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": report.machine(),
    }
    with contextlib.ExitStack() as stack:
        redis = Redis(log_dir).start()
        stack.callback(redis.stop)
        database = Database().create()
        stack.callback(database.drop)
        env = server_env(database.url, redis.url, secrets.token_urlsafe(50))
        log(f"database: {database.kind}; redis-server on port {redis.port}; logs in {log_dir}")
        if database.kind == "sqlite":
            log(
                "the targets are for PostgreSQL: set DATABASE_URL=postgres://... to a server where the user may "
                "create databases (ours-sqlite then runs beside it)"
            )
        accounts.setup_django(env)
        stack.callback(accounts.close_connections)
        people = accounts.make_accounts(config.accounts + 1)
        sender_account, receiver_accounts = people[0], people[1:]
        rooms = accounts.make_rooms(max(1, -(-(config.idle + config.warm) // config.idle_room_size)))
        if MANY_ROOMS & set(config.scenarios):
            accounts.make_rooms(config.rooms, prefix="bench-room")
        posts_room = accounts.make_rooms(1, prefix="bench-posts")[0]
        accounts.close_connections()
        results["database"] = database.kind
        setups = {"default": (env, receiver_accounts, sender_account)}
        if "ours-sqlite" in config.scenarios and database.kind != "sqlite":
            sqlite = Database(base="").create()
            stack.callback(sqlite.drop)
            sqlite_env = {**env, "DATABASE_URL": sqlite.url}
            people = sqlite_accounts(sqlite_env, config.accounts + 1)
            setups["sqlite"] = (sqlite_env, people[1:], people[0])
            log(f"ours-sqlite: a SQLite database of its own, {sqlite.url}")
        try:
            import uvloop

            runner = uvloop.run
            results["loadgen_loop"] = "uvloop"
        except ImportError:
            runner = asyncio.run
            results["loadgen_loop"] = "asyncio"
        try:
            runner(main_async(config, redis, setups, log_dir, rooms, posts_room, results, started))
        except KeyboardInterrupt:
            log("interrupted: stopping every server")
            results["interrupted"] = True
            raise
        finally:
            results["seconds"] = round(time.monotonic() - started, 1)
            report.write(results, config.out)
    print()
    print(report.markdown(results))
    log(f"results in {out}/results.md, results.json, fanout.png; whole run {results['seconds']:.0f} s")
