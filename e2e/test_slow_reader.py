"""A client that stops reading is dropped, and the server's memory stays
bounded whatever it does (CHAT_SOCKET_MAX_BUFFER_BYTES, docs/configuration.md).

A raw socket opens a room's WebSocket with a real session cookie and never
reads again, while the room gets 30 MB of fragments through the channel
layer (256 KiB each: daphne sends no WebSocket message over 1 MiB).
Without the cap, the server would hold them all for that one socket; with
it, the socket is cut off once its unsent output passes the cap, and a
reader beside it gets every fragment.
"""

import asyncio
import base64
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

CAP = 256 * 1024
FRAGMENTS = 120
FRAGMENT_BYTES = 256 * 1024


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def session_cookie(username):
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_user(username, password=f"pw-{username}-e2e")
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.fixture
def capped_server(server_with):
    return server_with(CHAT_SOCKET_MAX_BUFFER_BYTES=str(CAP))


def open_without_reading(server, cookie):
    """A WebSocket handshake on a raw TCP socket whose receive buffer is tiny;
    after the 101 answer nothing more is read from it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/rooms/lobby/ HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {server.url}\r\nCookie: {cookie}\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def cut_off(sock, timeout):
    """Whether the server closed this socket within `timeout` seconds (reading
    only now, to find out: what it had sent before the cut ends in EOF or a reset)."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(1 << 20):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return False


async def read_frames(url, cookie, origin, expected, received, joined):
    import websockets

    async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": origin}, max_size=None) as ws:
        # The handshake ends before the server has put the socket in the room;
        # the room's presence list is its first frame once it is there, so the
        # flood starts after it (a fragment sent earlier never reaches it).
        async with asyncio.timeout(10):
            received.append(await ws.recv())
        joined.set()
        try:
            async with asyncio.timeout(60):
                while sum(message.count("fragment-") for message in received) < expected:
                    received.append(await ws.recv())
        except TimeoutError:
            arrived = {n for n in range(expected) if f'id="fragment-{n}"' in "".join(received)}
            missing = sorted(set(range(expected)) - arrived)
            raise AssertionError(
                f"after 60 s the reader had {len(arrived)} of {expected} fragments; missing {missing}"
            ) from None


def test_a_socket_that_stops_reading_is_dropped_and_memory_stays_bounded(capped_server, private_redis, measure):
    from channels.layers import channel_layers
    from django.test import override_settings

    from realtime import broadcast
    from rooms.models import Room

    lobby = Room.objects.get(slug="lobby")
    slow = open_without_reading(capped_server, session_cookie("slow"))
    reader_cookie = session_cookie("reader")
    before = rss_bytes(capped_server.process.pid)

    received = []

    async def flood_and_read():
        joined = asyncio.Event()
        reader = asyncio.create_task(
            read_frames(
                f"ws://127.0.0.1:{capped_server.port}/ws/rooms/lobby/",
                reader_cookie,
                capped_server.url,
                FRAGMENTS,
                received,
                joined,
            )
        )
        # Until the reader is in the room, or failed to get there (its error is raised).
        await asyncio.wait([reader, asyncio.create_task(joined.wait())], return_when=asyncio.FIRST_COMPLETED)
        if reader.done():
            await reader
        # Spread out, so each fragment is its own frame rather than a few coalesced huge ones.
        for n in range(FRAGMENTS):
            html = f'<div id="fragment-{n}" hx-swap-oob="true">{"x" * FRAGMENT_BYTES}</div>'
            await broadcast.send(lobby.group_name, broadcast.FRAGMENT, html)
            await asyncio.sleep(0.08)
        await reader

    layers = {
        "default": {
            "BACKEND": "realtime.layer.RedisChannelLayer",
            "CONFIG": {"hosts": [private_redis.url], "prefix": "chat"},
        }
    }
    with override_settings(CHANNEL_LAYERS=layers):
        channel_layers.backends.clear()
        try:
            # A thread of its own: Playwright's sync API may hold an event loop in this one.
            with ThreadPoolExecutor(1) as thread:
                thread.submit(asyncio.run, flood_and_read()).result()
        finally:
            channel_layers.backends.clear()

    growth = rss_bytes(capped_server.process.pid) - before
    dropped = cut_off(slow, timeout=10)
    slow.close()
    measure(
        "slow reader",
        pushed_mb=FRAGMENTS * FRAGMENT_BYTES // 2**20,
        server_rss_growth_mb=round(growth / 2**20, 1),
        dropped=dropped,
    )
    assert dropped, "the server kept a socket that stopped reading"
    # Everything pushed would be ~30 MB held for the slow socket; a few MB is transient work.
    assert growth < 12 * 2**20, f"server memory grew by {growth / 2**20:.1f} MB"
    assert sum(message.count("fragment-") for message in received) == FRAGMENTS
