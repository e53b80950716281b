"""Do uploads in progress slow the fan-out of other messages? (issue 13)

    .venv/bin/python -m bench.uploads                     # 200 receivers, 10 msg/s, 4 uploads of 20 MiB, 3 rounds
    .venv/bin/python -m bench.uploads --receivers 500 --uploads 8 --upload-mib 24 --upload-mib-per-s 2

One daphne process (production settings, a private redis-server, a fresh
database as `make bench` makes one), N receivers in the lobby and one
sender at a steady rate. Each round has two steps: alone, then while K
clients upload large files to the same room, each body trickled at a set
rate (slow uplinks: the worst case for a server that would hold a worker
or the event loop per upload). The second step goes on until every upload
has been answered and SETTLE seconds more, so the server's work on a
finished upload (parsing the body, storing the file, re-encoding the photo,
posting its message) is measured too, not only the bytes arriving. Fan-out
latency is from the send to the last receiver's copy (bench/loadgen.py).
Rounds repeat because a shared VM's host takes CPU in bursts (the
"stolen" column): compare the steps of a round, and the medians.
Writes bench/results/uploads.md.
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import secrets
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from .accounts import close_connections, make_accounts, setup_django
from .loadgen import Endpoint, Tracker, connect_many, monotonic_ns, parse_html, percentile, token_text
from .run import server_env
from .services import Daphne, Database, Redis, children_cpu_seconds, cpu_seconds, stolen_seconds

RESULTS = Path(__file__).resolve().parent / "results"


def photo_png(width=2400, height=1600):
    """A PNG the size of a phone photo, noisy enough not to compress away:
    the server decodes, re-encodes and previews it (Pillow, in the upload's
    worker thread)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((width, height), 64).convert("RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


SETTLE = 2  # seconds measured after the last upload was answered


async def upload(port, cookie, body, filename, content_type, bytes_per_s, n):
    """One multipart POST of `body` as a file to the lobby, written at
    `bytes_per_s`; returns the status line and the seconds from the last
    byte sent to the answer."""
    token = secrets.token_hex(16)  # a CSRF secret: cookie and header agree
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\nupload {n}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"POST /rooms/lobby/files/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Cookie: {cookie}; csrftoken={token}\r\nX-CSRFToken: {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(head) + len(body) + len(tail)}\r\nConnection: close\r\n\r\n"
        ).encode()
        + head
    )
    chunk, sent, start = 64 * 1024, 0, time.monotonic()
    while sent < len(body):
        piece = body[sent : sent + chunk]
        writer.write(piece)
        await writer.drain()
        sent += len(piece)
        await asyncio.sleep(max(0.0, start + sent / bytes_per_s - time.monotonic()))
    writer.write(tail)
    await writer.drain()
    last_byte = time.monotonic()
    status = (await asyncio.wait_for(reader.readline(), 120)).decode().strip()
    answered = time.monotonic() - last_byte
    writer.close()
    return status, answered


async def measure(args, port, pid, accounts):
    run_id = uuid.uuid4().hex[:8]
    tracker = Tracker(run_id, args.receivers)
    endpoint = Endpoint("127.0.0.1", port, "/ws/rooms/lobby/", f"http://127.0.0.1:{port}")
    clients = await connect_many(
        [(i, endpoint, accounts[1 + i % (len(accounts) - 1)][1]) for i in range(args.receivers)],
        lambda index, data, now: tracker.deliver(index, parse_html(data), now) if index >= 0 else None,
    )
    (sender,) = await connect_many([(-1, endpoint, accounts[0][1])], lambda *_: None)
    seq = 0

    def send():
        nonlocal seq
        seq += 1
        now = monotonic_ns()
        record = tracker.expect(seq, now)
        sender.send_text(json.dumps({"message": token_text(run_id, seq, now)}))
        return record

    # Settle: a probe reaches everyone once the joins' presence fragments are through.
    for _ in range(30):
        probe = send()
        await tracker.wait_delivered(tracker.delivered + args.receivers, 5)
        if probe.count == args.receivers:
            break
    else:
        raise RuntimeError("no probe reached every receiver")

    async def step(busy=None):
        """Send at args.rate for args.seconds; with `busy` (a future), also
        until it is done and SETTLE seconds more (60 s at most in all)."""
        records, start, ended = [], time.monotonic(), []
        cpu_before, children_before, stolen_before = cpu_seconds(pid), children_cpu_seconds(pid), stolen_seconds()
        if busy is not None:
            busy.add_done_callback(lambda _: ended.append(time.monotonic()))
        for k in itertools.count():
            send_at = start + k / args.rate
            until = max(start + args.seconds, ended[0] + SETTLE if ended else 0)
            if ((busy is None or ended) and send_at >= until) or send_at >= start + 60:
                break
            await asyncio.sleep(max(0.0, send_at - time.monotonic()))
            records.append(send())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(r.count < args.receivers for r in records):
            await asyncio.sleep(0.05)
        seconds = time.monotonic() - start
        server_cpu = cpu_seconds(pid) - cpu_before
        children_cpu = children_cpu_seconds(pid) - children_before
        stolen = (stolen_seconds() - stolen_before) / (seconds * os.cpu_count())
        complete = [(r.last_ns - r.sent_ns) / 1e6 for r in records if r.count == args.receivers]
        lost = sum(args.receivers - r.count for r in records)
        return {
            "messages": len(records),
            "lost": lost,
            "p50_ms": percentile(complete, 50) if complete else None,
            "p99_ms": percentile(complete, 99) if complete else None,
            "max_ms": max(complete, default=None),
            "server_cpu_s": server_cpu,
            "children_cpu_s": children_cpu,
            "seconds": seconds,
            "stolen": stolen,
        }

    size = args.upload_mib * 1024 * 1024
    rate = args.upload_mib_per_s * 1024 * 1024
    blob, photo = bytes(size), photo_png()
    # One upload in four is a photo, which the server re-encodes and previews.
    args.upload_names = [f"photo-{n}.png" if n % 4 == 0 else f"big-{n}.bin" for n in range(args.uploads)]
    rounds = []
    for _ in range(args.repeats):
        alone = await step()
        # People's uplinks differ: upload n goes (1 + n * stagger) times faster than the first,
        # so they end apart, as they would (--stagger 0: all at once, a burst of messages).
        uploads = [
            upload(
                port,
                accounts[0][1],
                photo if n % 4 == 0 else blob,
                name,
                "image/png" if n % 4 == 0 else "application/octet-stream",
                rate * (1 + n * args.stagger),
                n,
            )
            for n, name in enumerate(args.upload_names)
        ]
        answers = asyncio.ensure_future(asyncio.gather(*uploads))
        uploading = await step(answers)
        rounds.append((alone, uploading, await answers))
    for client in [*clients, sender]:
        client.abort()
    return rounds, len(photo) / 2**20


def report(args, rounds, photo_mib):
    def ms(value):
        return "-" if value is None else f"{value:.0f}"

    def row(name, r):
        return (
            f"| {name} | {r['seconds']:.0f} | {r['messages']:.0f} | {r['lost']:.0f} | {ms(r['p50_ms'])} "
            f"| {ms(r['p99_ms'])} "
            f"| {ms(r['max_ms'])} | {r['server_cpu_s'] / r['seconds']:.2f} | {r['children_cpu_s']:.1f} "
            f"| {100 * r['stolen']:.0f}% |"
        )

    def median_of(steps):
        return {
            key: statistics.median(step[key] for step in steps)
            if all(step[key] is not None for step in steps)
            else None
            for key in steps[0]
        }

    fastest = args.upload_mib_per_s * (1 + (args.uploads - 1) * args.stagger)
    uploading = (
        f"{args.uploads} uploads of {args.upload_mib} MiB (one in four a {photo_mib:.0f} MiB photo) "
        f"at {args.upload_mib_per_s:g}" + (f"-{fastest:g}" if fastest != args.upload_mib_per_s else "") + " MiB/s"
    )
    lines = [
        f"# Fan-out while files upload ({args.receivers} receivers, {args.rate:g} msg/s)",
        "",
        f"Each round: {args.seconds:g} s alone, then while {uploading}, until every upload was answered and "
        f"{SETTLE} s more. Server CPU is the daphne process's, in cores; re-encoders' CPU is its image children's, "
        "in seconds; stolen is the machine's CPU time taken by the host while the step ran (a shared VM).",
        "",
        "| step | s to last delivery | messages | lost | p50 ms | p99 ms | max ms "
        "| server CPU | re-encoders' CPU s | stolen |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, (alone, busy, _) in enumerate(rounds, 1):
        lines += [row(f"round {n}: alone", alone), row(f"round {n}: uploading", busy)]
    if len(rounds) > 1:
        lines += [
            row(f"median of {len(rounds)}: alone", median_of([r[0] for r in rounds])),
            row(f"median of {len(rounds)}: uploading", median_of([r[1] for r in rounds])),
        ]
    lines += ["", "Uploads answered, from the last byte sent to the answer:", ""]
    for n, (_, _, answers) in enumerate(rounds, 1):
        lines.append(
            f"- round {n}: "
            + ", ".join(
                f"{name} {status.removeprefix('HTTP/1.1 ')} in {seconds:.1f} s"
                for name, (status, seconds) in zip(args.upload_names, answers, strict=True)
            )
        )
    lines.append("")
    text = "\n".join(lines)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "uploads.md").write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--receivers", type=int, default=200)
    # Half the highest rate one server process sustains (bench/results/fanout-before-after.md):
    # at that rate itself a shared machine's bad minute saturates it with no upload at all.
    parser.add_argument("--rate", type=float, default=10, help="messages per second of the sender")
    parser.add_argument("--seconds", type=float, default=10, help="length of each step")
    parser.add_argument("--uploads", type=int, default=4, help="concurrent uploads in the second step")
    parser.add_argument("--upload-mib", type=int, default=20, help="size of each upload (under CHAT_MAX_UPLOAD_BYTES)")
    parser.add_argument("--upload-mib-per-s", type=float, default=2, help="how fast each upload's body is sent")
    parser.add_argument(
        "--stagger",
        type=float,
        default=0.15,
        help="upload n is sent (1 + n * STAGGER) times faster than --upload-mib-per-s",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="rounds of the two steps (a shared machine's noise shows between rounds)"
    )
    parser.add_argument("--out", default=str(RESULTS), help="results folder (uploads.md)")
    args = parser.parse_args()
    log_dir = Path(tempfile.mkdtemp(prefix="chat-bench-uploads-"))
    with contextlib.ExitStack() as stack:
        redis = Redis(log_dir).start()
        stack.callback(redis.stop)
        database = Database().create()
        stack.callback(database.drop)
        env = server_env(database.url, redis.url, secrets.token_urlsafe(50))
        env["MEDIA_ROOT"] = str(log_dir / "media")
        setup_django(env)
        accounts = make_accounts(21, prefix="bench-upload")
        close_connections()
        server = Daphne(log_dir, env).start()
        stack.callback(server.stop)
        report(args, *asyncio.run(measure(args, server.port, server.pid, accounts)))


if __name__ == "__main__":
    main()
