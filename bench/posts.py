"""What posting one message costs the server: its CPU and its SQL statements.

One server of ours (the app wrapped by bench/querylog.py, which logs every
statement), one sender socket alone in a room of its own. Messages go one
at a time: each is sent once the server is quiet, and counted until it is
quiet again after the sender got the message back, so everything the
message caused (saving, rendering, the broadcast, the sidebars' news, the
echo) is in its figures and nothing else is:

- server CPU: the scheduler's run time of the server's threads
  (/proc/<pid>/task/*/schedstat, nanoseconds), from before the send until
  quiet after the echo, less what the idle server runs in as long (its
  timers and the channel layer's polling: the median of ten 0.2 s
  readings before the first message);
- queries: the statements the query log gained meanwhile;
- round trip: send to echo, wall time.

Per repeat: p50 and p90 of each over the messages; the statements of every
message, grouped by text, for the slowest figure's reading (which
statements, how many times per message, in which thread).
"""

import asyncio
import collections
import json
import statistics
import time
import uuid

from .loadgen import Endpoint, connect_one, monotonic_ns, percentile, token_text

# The server is quiet when its threads ran less than this in QUIET_WINDOW.
QUIET_NS = 200_000
QUIET_WINDOW = 0.03
MESSAGE_BODY = b'class="message-body"'


async def until_quiet(server, timeout=2.0):
    """Until the server's threads ran less than QUIET_NS over QUIET_WINDOW; its run time then."""
    deadline = time.monotonic() + timeout
    last = server.cpu_ns()
    while True:
        await asyncio.sleep(QUIET_WINDOW)
        now = server.cpu_ns()
        if now - last < QUIET_NS or time.monotonic() > deadline:
            return now
        last = now


async def idle_rate(server, seconds):
    """The server's CPU in nanoseconds per second while nothing is sent."""
    before, t0 = server.cpu_ns(), time.monotonic()
    await asyncio.sleep(seconds)
    return (server.cpu_ns() - before) / (time.monotonic() - t0)


class QueryLog:
    """The lines bench/querylog.py appends, read as they come."""

    def __init__(self, path):
        self.path = path
        self.offset = 0

    def new_lines(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n") + 1
        self.offset += end
        return data[:end].decode(errors="replace").splitlines()


async def measure(server, endpoint, cookie, messages, query_log_path):
    """Post `messages` messages one at a time; per-message figures and statements."""
    run_id = uuid.uuid4().hex[:8]
    echoed = {}

    def on_text(index, data, now):
        if MESSAGE_BODY in data:
            for seq, waiter in list(echoed.items()):
                if not waiter.done() and f"s={seq} ".encode() in data and run_id.encode() in data:
                    waiter.set_result(now)

    client = await connect_one(0, endpoint, cookie, on_text)
    queries = QueryLog(query_log_path)
    rows = []
    try:
        await until_quiet(server)
        idle_per_s = statistics.median([await idle_rate(server, 0.2) for _ in range(10)])
        # The first message warms the server's caches and the pool: not counted.
        for seq in range(messages + 1):
            before = await until_quiet(server)
            started = time.monotonic()
            queries.new_lines()
            waiter = echoed[seq] = asyncio.get_running_loop().create_future()
            sent = monotonic_ns()
            # With a client id of its own, as every page sends (pending.js).
            text = token_text(run_id, seq, sent) + " posting"
            client.send_text(json.dumps({"message": text, "client_id": f"{run_id}-{seq}"}))
            try:
                arrived = await asyncio.wait_for(waiter, 10)
            except TimeoutError:
                rows.append({"seq": seq, "error": "no echo within 10 s"})
                continue
            after = await until_quiet(server)
            idle = idle_per_s * (time.monotonic() - started)
            statements = queries.new_lines()
            if seq:
                rows.append(
                    {
                        "seq": seq,
                        "cpu_ms": (after - before - idle) / 1e6,
                        "idle_ms": idle / 1e6,
                        "queries": len(statements),
                        "round_trip_ms": (arrived - sent) / 1e6,
                        "statements": statements,
                    }
                )
    finally:
        client.abort()
    return rows


def summary(rows):
    good = [r for r in rows if "error" not in r]
    out = {"messages": len(rows), "failed": len(rows) - len(good)}
    for key in ("cpu_ms", "idle_ms", "queries", "round_trip_ms"):
        values = [r[key] for r in good]
        if values:
            out[f"{key}_p50"] = percentile(values, 50)
            out[f"{key}_p90"] = percentile(values, 90)
    grouped = collections.Counter(line for r in good for line in r["statements"])
    out["statements_per_message"] = [
        {
            "per_message": round(count / max(1, len(good)), 2),
            "thread": line.split("\t", 1)[0],
            "sql": line.split("\t", 1)[-1][:400],
        }
        for line, count in grouped.most_common()
    ]
    return out


def endpoint_for(server, room):
    return Endpoint("127.0.0.1", server.port, f"/ws/rooms/{room}/", server.origin)
