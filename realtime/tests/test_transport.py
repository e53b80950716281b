"""Frames written straight to daphne's connections: built once, read back
intact by any WebSocket client, and never reordered when a socket is full.
(The whole path, on a real daphne, is every e2e test; a client that stops
reading is e2e/test_slow_reader.py.)"""

import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from realtime import transport


def read_frames(data):
    """The WebSocket frames in `data`, as a browser would parse them."""
    reader = StreamReader()
    reader.feed_data(data)
    frames = []
    while reader.buffer:
        parser = Frame.parse(reader.read_exact, mask=False)
        try:
            next(parser)
        except StopIteration as done:
            frames.append(done.value)
    return frames


@pytest.mark.parametrize(
    "html",
    [
        "<p>hi</p>",
        "<p>🎉 café</p>" * 10,  # over 125 bytes: a 16-bit length
        "<p>x</p>" * 10_000,  # over 64 KiB: a 64-bit length
    ],
    ids=["short", "medium", "long"],
)
def test_a_prepared_frame_reads_back_as_the_same_text(html):
    (frame,) = read_frames(transport.Prepared(html).frame)
    assert frame.opcode == Opcode.TEXT and frame.fin
    assert frame.data.decode() == html


class TwistedLikeTransport:
    """What send_now reads of a Twisted TCP transport, over a real socket;
    `write` queues as Twisted would, and the test flushes it."""

    TLS = False
    connected = 1
    disconnecting = 0

    def __init__(self, sock):
        self.socket = sock
        self.dataBuffer = b""
        self.offset = 0
        self._tempDataLen = 0
        self.written = []

    def write(self, data):
        self.written.append(data)
        self._tempDataLen += len(data)


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    theirs.settimeout(5)
    yield ours, theirs
    ours.close()
    theirs.close()


def received(sock, size):
    data = b""
    while len(data) < size:
        data += sock.recv(size - len(data))
    return data


def test_a_frame_goes_to_an_idle_socket_at_once(pair):
    ours, theirs = pair
    connection = TwistedLikeTransport(ours)
    frame = transport.Prepared("<p>hi</p>").frame
    transport.send_now(connection, frame)
    assert connection.written == []
    assert received(theirs, len(frame)) == frame


def test_what_a_full_socket_cannot_take_waits_in_order(pair):
    ours, theirs = pair
    connection = TwistedLikeTransport(ours)
    frames = [transport.Prepared(f"<p>{n}</p>" * 20_000).frame for n in range(3)]
    for frame in frames:
        transport.send_now(connection, frame)
    # The first frame filled the socket; its rest and the two after it wait in Twisted's buffer.
    assert connection.written[1:] == frames[1:]
    sent_at_once = len(frames[0]) - len(connection.written[0])
    assert 0 < sent_at_once < len(frames[0])
    flushed = b"".join(connection.written)
    with ThreadPoolExecutor(1) as reader:
        arriving = reader.submit(received, theirs, sent_at_once + len(flushed))
        ours.setblocking(True)
        ours.sendall(flushed)  # what the reactor does once the socket drains
        texts = [frame.data.decode() for frame in read_frames(arriving.result(timeout=5))]
    assert texts == [f"<p>{n}</p>" * 20_000 for n in range(3)]


def test_a_closing_connection_gets_nothing_directly(pair):
    ours, _theirs = pair
    connection = TwistedLikeTransport(ours)
    connection.disconnecting = 1
    transport.send_now(connection, b"frame")
    assert connection.written == [b"frame"]  # Twisted's write drops it its own way
