"""Do uploads in progress slow the fan-out of other messages? (issue 13)

    .venv/bin/python -m bench.uploads                     # 200 receivers, 20 msg/s, 4 uploads of 20 MiB
    .venv/bin/python -m bench.uploads --receivers 500 --uploads 8 --upload-mib 24 --upload-mib-per-s 2

One daphne process (production settings, a private redis-server, a fresh
database as `make bench` makes one), N receivers in the lobby and one
sender at a steady rate. The same step runs twice: alone, then while K
clients upload large files to the same room, each body trickled at a set
rate so the uploads last the whole step (slow uplinks: the worst case for
a server that would hold a worker or the event loop per upload). The
files' messages are posted when their uploads end, like any other. Fan-out
latency is from the send to the last receiver's copy (bench/loadgen.py).
Writes bench/results/uploads.md.
"""

import argparse
import asyncio
import contextlib
import json
import secrets
import tempfile
import time
import uuid
from pathlib import Path

from .accounts import close_connections, make_accounts, setup_django
from .loadgen import Endpoint, Tracker, connect_many, monotonic_ns, parse_html, percentile, token_text
from .run import server_env
from .services import Daphne, Database, Redis

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


async def upload(port, cookie, body, filename, content_type, bytes_per_s, n):
    """One multipart POST of `body` as a file to the lobby, written at `bytes_per_s`; returns the status line."""
    token = secrets.token_hex(16)  # a CSRF secret: cookie and header agree
    boundary = uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\nupload {n}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"POST /rooms/lobby/files/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  f"Cookie: {cookie}; csrftoken={token}\r\nX-CSRFToken: {token}\r\n"
                  f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                  f"Content-Length: {len(head) + len(body) + len(tail)}\r\nConnection: close\r\n\r\n").encode() + head)
    chunk, sent, start = 64 * 1024, 0, time.monotonic()
    while sent < len(body):
        piece = body[sent:sent + chunk]
        writer.write(piece)
        await writer.drain()
        sent += len(piece)
        await asyncio.sleep(max(0.0, start + sent / bytes_per_s - time.monotonic()))
    writer.write(tail)
    await writer.drain()
    status = (await asyncio.wait_for(reader.readline(), 120)).decode().strip()
    writer.close()
    return status


async def measure(args, port, accounts):
    run_id = uuid.uuid4().hex[:8]
    tracker = Tracker(run_id, args.receivers)
    endpoint = Endpoint("127.0.0.1", port, "/ws/rooms/lobby/", f"http://127.0.0.1:{port}")
    clients = await connect_many([(i, endpoint, accounts[1 + i % (len(accounts) - 1)][1])
                                  for i in range(args.receivers)],
                                 lambda index, data, now: tracker.deliver(index, parse_html(data), now)
                                 if index >= 0 else None)
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

    async def step():
        records, count, start = [], round(args.rate * args.seconds), time.monotonic()
        for k in range(count):
            await asyncio.sleep(max(0.0, start + k / args.rate - time.monotonic()))
            records.append(send())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(r.count < args.receivers for r in records):
            await asyncio.sleep(0.05)
        complete = [(r.last_ns - r.sent_ns) / 1e6 for r in records if r.count == args.receivers]
        lost = sum(args.receivers - r.count for r in records)
        return {"messages": len(records), "lost": lost, "p50_ms": percentile(complete, 50) if complete else None,
                "p99_ms": percentile(complete, 99) if complete else None, "max_ms": max(complete, default=None)}

    quiet = await step()
    size = args.upload_mib * 1024 * 1024
    rate = args.upload_mib_per_s * 1024 * 1024
    blob, photo = bytes(size), photo_png()
    # One upload in four is a photo, which the server re-encodes and previews.
    uploads = [asyncio.create_task(upload(port, accounts[0][1], photo, f"photo-{n}.png", "image/png", rate, n)
                                   if n % 4 == 0 else
                                   upload(port, accounts[0][1], blob, f"big-{n}.bin", "application/octet-stream", rate, n))
               for n in range(args.uploads)]
    busy = await step()
    statuses = await asyncio.gather(*uploads)
    for client in [*clients, sender]:
        client.abort()
    return quiet, busy, statuses, len(photo) / 2**20


def report(args, quiet, busy, statuses, photo_mib):
    def ms(value):
        return "-" if value is None else f"{value:.0f}"

    lines = [
        f"# Fan-out while files upload ({args.receivers} receivers, {args.rate} msg/s for {args.seconds} s)",
        "",
        "| step | messages | lost | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|",
        *(f"| {name} | {r['messages']} | {r['lost']} | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | {ms(r['max_ms'])} |"
          for name, r in (("no uploads", quiet),
                          (f"{args.uploads} uploads of {args.upload_mib} MiB (one in four a {photo_mib:.0f} MiB "
                           f"photo) at {args.upload_mib_per_s} MiB/s", busy))),
        "",
        f"Uploads answered: {', '.join(statuses)}",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "uploads.md").write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--receivers", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20, help="messages per second of the sender")
    parser.add_argument("--seconds", type=float, default=10, help="length of each step")
    parser.add_argument("--uploads", type=int, default=4, help="concurrent uploads in the second step")
    parser.add_argument("--upload-mib", type=int, default=20, help="size of each upload (under CHAT_MAX_UPLOAD_BYTES)")
    parser.add_argument("--upload-mib-per-s", type=float, default=2, help="how fast each upload's body is sent")
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
        report(args, *asyncio.run(measure(args, server.port, accounts)))


if __name__ == "__main__":
    main()
