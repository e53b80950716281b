"""The load generator: many WebSocket clients in one asyncio process.

Clients are `websockets`' sans-I/O ClientProtocol on a plain asyncio
Protocol (no task or queue per socket), so one core receives a few hundred
thousand frames a second. Every frame is stamped with the time its bytes
reached the event loop, before it is parsed.

Each message the sender sends carries its own identity as its text:
    bench r=<run id> s=<sequence number> t=<send time, CLOCK_MONOTONIC ns>
Receivers find that text in whatever the server sends back — in ours, the
`message-body` of an HTML fragment; in the peer and bare servers, the
`message` field of a JSON frame — and everything else (presence fragments,
errors) is ignored.
"""

import asyncio
import html
import json
import re
import statistics
import time
from dataclasses import dataclass, field

from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Response
from websockets.typing import Origin
from websockets.uri import parse_uri

monotonic_ns = time.monotonic_ns

# ours: <div hx-swap-oob="beforeend:#messages"><article id="message-<pk>" ...>
#       ... <div class="message-body">TEXT</div></article></div>
MESSAGE_BODY = re.compile(rb'<article id="message-\d+"[^>]*>.*?<div class="message-body">([^<]*)</div>', re.S)
TOKEN = re.compile(r"bench r=([0-9a-f]+) s=(\d+) t=(\d+)")


def token_text(run_id, seq, sent_ns):
    return f"bench r={run_id} s={seq} t={sent_ns}"


def parse_html(data):
    """Message tokens in an HTML fragment of ours: [(run, seq, sent_ns)]."""
    found = []
    if b"message-body" not in data:
        return found
    for match in MESSAGE_BODY.finditer(data):
        token = TOKEN.fullmatch(html.unescape(match.group(1).decode()))
        if token:
            found.append((token.group(1), int(token.group(2)), int(token.group(3))))
    return found


def parse_json(data):
    """Message token in a tutorial-style JSON frame {"message": text}: [(run, seq, sent_ns)]."""
    if not data.startswith(b"{"):
        return []
    try:
        message = json.loads(data).get("message")
    except (ValueError, AttributeError):
        return []
    token = TOKEN.fullmatch(message) if isinstance(message, str) else None
    return [(token.group(1), int(token.group(2)), int(token.group(3)))] if token else []


PARSERS = {"html": parse_html, "json": parse_json}


# The room list's activity span (rooms/room_list.html#room-activity): a
# page's sidebar hearing of one message in another room.
NEWS = b' data-message="'


class Record:
    """One sent message: which receivers got it, when the last one did."""

    __slots__ = ("count", "dups", "first_ns", "last_ns", "seen", "sent_ns", "seq")

    def __init__(self, seq, sent_ns, receivers):
        self.seq = seq
        self.sent_ns = sent_ns
        self.seen = bytearray(receivers)
        self.count = 0
        self.first_ns = 0
        self.last_ns = 0
        self.dups = 0


class Tracker:
    """Matches deliveries to sent messages. Receiver i is index i; the
    sender is not a receiver (its copies are not counted)."""

    def __init__(self, run_id, receivers):
        self.run_id = run_id
        self.receivers = receivers
        self.records = {}
        self.delivered = 0  # first deliveries, all messages
        self.foreign = 0  # tokens of another run or an unknown sequence number
        self.waiters = []  # (target delivered count, future)

    def expect(self, seq, sent_ns):
        record = self.records[seq] = Record(seq, sent_ns, self.receivers)
        return record

    def deliver(self, receiver, tokens, now_ns):
        for run_id, seq, sent_ns in tokens:
            record = self.records.get(seq) if run_id == self.run_id else None
            if record is None or sent_ns != record.sent_ns:
                self.foreign += 1
                continue
            if record.seen[receiver]:
                record.dups += 1
                continue
            record.seen[receiver] = 1
            record.count += 1
            if record.count == 1:
                record.first_ns = now_ns
            if now_ns > record.last_ns:
                record.last_ns = now_ns
            self.delivered += 1
        if self.waiters:
            self._wake()

    def _wake(self):
        still = []
        for target, future in self.waiters:
            if self.delivered >= target:
                if not future.done():
                    future.set_result(True)
            else:
                still.append((target, future))
        self.waiters = still

    async def wait_delivered(self, target, timeout):
        """Until `target` first deliveries have been counted in total, or timeout; True if reached."""
        if self.delivered >= target:
            return True
        future = asyncio.get_running_loop().create_future()
        self.waiters.append((target, future))
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except TimeoutError:
            return False


class Client(asyncio.Protocol):
    """One WebSocket connection; text frames go to `on_text(index, data, now_ns)`."""

    def __init__(self, index, endpoint, cookie, on_text):
        self.index = index
        self.endpoint = endpoint
        self.url = endpoint.url
        self.origin = endpoint.origin
        self.cookie = cookie
        self.on_text = on_text
        loop = asyncio.get_running_loop()
        self.opened = loop.create_future()
        self.lost = loop.create_future()
        self.transport = None
        self.ws = None
        self.close_code = None
        self.partial = None
        self.frames = 0
        # Room-list news: one span per message elsewhere that this page's
        # sidebar learns of (its unread count moves), coalesced into frames.
        self.news = 0

    def connection_made(self, transport):
        self.transport = transport
        self.ws = ClientProtocol(parse_uri(self.url), origin=Origin(self.origin), max_size=None)
        request = self.ws.connect()
        if self.cookie:
            request.headers["Cookie"] = self.cookie
        self.ws.send_request(request)
        self.flush()

    def data_received(self, data):
        now = monotonic_ns()
        ws = self.ws
        ws.receive_data(data)
        for event in ws.events_received():
            if isinstance(event, Response):
                if not self.opened.done():
                    if ws.handshake_exc is None:
                        self.opened.set_result(True)
                    else:
                        self.opened.set_exception(ws.handshake_exc)
                continue
            opcode = event.opcode
            if opcode is Opcode.TEXT or opcode is Opcode.CONT:
                if not event.fin:
                    self.partial = (self.partial or b"") + event.data
                    continue
                payload = event.data if self.partial is None else self.partial + event.data
                self.partial = None
                self.frames += 1
                self.news += payload.count(NEWS)
                self.on_text(self.index, payload, now)
            elif opcode is Opcode.CLOSE:
                self.close_code = ws.close_rcvd.code if ws.close_rcvd else None
        self.flush()

    def flush(self):
        for chunk in self.ws.data_to_send():
            if chunk:
                self.transport.write(chunk)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def send_text(self, text):
        self.ws.send_text(text.encode())
        self.flush()

    def connection_lost(self, exc):
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError(f"closed during handshake (code {self.close_code})"))
        if not self.lost.done():
            self.lost.set_result(exc)

    def eof_received(self):
        self.ws.receive_eof()
        self.flush()
        return False

    def abort(self):
        if self.transport is not None:
            self.transport.abort()

    @property
    def is_open(self):
        return self.opened.done() and not self.opened.exception() and not self.lost.done()


@dataclass
class Endpoint:
    """Where one client connects: one server process, one path, one origin."""

    host: str
    port: int
    path: str
    origin: str

    @property
    def url(self):
        return f"ws://{self.host}:{self.port}{self.path}"


async def connect_one(index, endpoint, cookie, on_text, timeout=30, attempts=3):
    loop = asyncio.get_running_loop()
    error = None
    for attempt in range(attempts):
        client = None
        try:
            async with asyncio.timeout(timeout):
                _, client = await loop.create_connection(
                    lambda: Client(index, endpoint, cookie, on_text), endpoint.host, endpoint.port
                )
                await client.opened
            return client
        except (OSError, TimeoutError, Exception) as exc:  # noqa: BLE001 - any failure is retried, then reported
            error = exc
            if client is not None:
                client.abort()
            await asyncio.sleep(0.2 * (attempt + 1))
    raise ConnectionError(f"client {index} could not connect to {endpoint.url}: {error!r}")


async def connect_many(specs, on_text, concurrency=32, timeout=120):
    """specs: [(index, endpoint, cookie)] -> clients in the same order."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(index, endpoint, cookie):
        async with semaphore:
            return await connect_one(index, endpoint, cookie, on_text)

    async with asyncio.timeout(timeout):
        return await asyncio.gather(*(one(*spec) for spec in specs))


def percentile(values, q):
    """Nearest-rank percentile of a non-empty list, q in [0, 100]."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


@dataclass
class StepResult:
    rate: float
    seconds: float
    sent: int = 0
    achieved_rate: float = 0.0
    expected_deliveries: int = 0
    deliveries: int = 0
    deliveries_per_s: float = 0.0
    # Sidebar news: pages told of a message in another room (their unread
    # counts move); every_delivery = message deliveries + news.
    news: int = 0
    server_cpu_us_per_any_delivery: float | None = None
    complete: int = 0
    lost: int = 0
    late: int = 0
    lost_final: int | None = None
    duplicated: int = 0
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    first_third_p50_ms: float | None = None
    last_third_p50_ms: float | None = None
    growing: bool = False
    server_cpu_s: float = 0.0
    server_cpu_us_per_delivery: float | None = None
    server_cpu_share: float = 0.0
    # Each server process's share of one core, when there are several.
    server_cpu_shares: list = field(default_factory=list)
    redis_cpu_us_per_delivery: float | None = None
    loadgen_cpu_us_per_delivery: float | None = None
    loadgen_cpu_share: float = 0.0
    other_cpu_share: float = 0.0
    retry: bool = False
    sender_errors: int = 0
    dropped: int = 0
    stable: bool = False
    reasons: list = field(default_factory=list)


def judge(result, p99_limit_ms=2000.0):
    """Stable = every message reached every receiver exactly once, p99 within
    the limit, latency not growing, and the sender held the rate."""
    reasons = []
    if result.lost:
        reasons.append(f"{result.lost} lost")
    if result.duplicated:
        reasons.append(f"{result.duplicated} duplicated")
    if result.p99_ms is None or result.p99_ms > p99_limit_ms:
        reasons.append("p99 > 2 s" if result.p99_ms is not None else "no complete fan-out")
    if result.growing:
        reasons.append("latency growing")
    if result.achieved_rate < 0.9 * result.rate:
        reasons.append(f"sender held only {result.achieved_rate:.1f}/s")
    if result.sender_errors:
        reasons.append(f"{result.sender_errors} sender errors")
    if result.dropped:
        reasons.append(f"{result.dropped} sockets dropped by the server")
    result.reasons = reasons
    result.stable = not reasons
    return result


def summarize(result, records, receivers, first_send, end, cpu, news=0):
    """Fill a StepResult from the step's records (sent order) and CPU deltas."""
    result.sent = len(records)
    span = (records[-1].sent_ns - records[0].sent_ns) / 1e9 if len(records) > 1 else 0
    result.achieved_rate = (len(records) - 1) / span if span > 0 else float(result.rate)
    result.expected_deliveries = len(records) * receivers
    result.deliveries = sum(r.count for r in records)
    result.lost = result.expected_deliveries - result.deliveries
    result.duplicated = sum(r.dups for r in records)
    # Sustained deliveries per second: the rate held times the receivers reached.
    result.deliveries_per_s = result.achieved_rate * result.deliveries / len(records) if records else 0.0
    complete = [r for r in records if r.count == receivers]
    result.complete = len(complete)
    latencies = [(r.last_ns - r.sent_ns) / 1e6 for r in complete]
    if latencies:
        result.p50_ms = percentile(latencies, 50)
        result.p90_ms = percentile(latencies, 90)
        result.p99_ms = percentile(latencies, 99)
        result.max_ms = max(latencies)
    # Growth: the fan-out latency of the last third of the step against the
    # first third (all messages, complete or not, by their last delivery).
    fanout = [(r.last_ns - r.sent_ns) / 1e6 if r.count else float("inf") for r in records]
    third = len(fanout) // 3
    if third >= 2:
        first = statistics.median(fanout[:third])
        last_third = statistics.median(fanout[-third:])
        result.first_third_p50_ms = first
        result.last_third_p50_ms = last_third
        result.growing = last_third > first * 1.5 + 100
    server_cpu, redis_cpu, loadgen_cpu, busy_cpu = cpu
    seconds = max(end - first_send / 1e9, 1e-3)
    result.server_cpu_s = server_cpu
    result.server_cpu_share = server_cpu / seconds
    result.loadgen_cpu_share = loadgen_cpu / seconds
    # CPU the rest of the machine took meanwhile (other people's tests, the kernel): noisy steps show here.
    result.other_cpu_share = max(0.0, (busy_cpu - server_cpu - redis_cpu - loadgen_cpu) / seconds)
    if result.deliveries:
        result.server_cpu_us_per_delivery = server_cpu / result.deliveries * 1e6
        result.redis_cpu_us_per_delivery = redis_cpu / result.deliveries * 1e6
        result.loadgen_cpu_us_per_delivery = loadgen_cpu / result.deliveries * 1e6
    result.news = news
    if result.deliveries + news:
        result.server_cpu_us_per_any_delivery = server_cpu / (result.deliveries + news) * 1e6
    return result
