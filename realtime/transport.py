"""A page socket's own connection: what is unsent, dropping it, writing to it.

ASGI gives an application no backpressure: a send returns once the server
has queued the frame, so a client that stops reading makes the server
buffer without limit. The servers we run on let us see their transport
behind the `send` callable: daphne passes `partial(server.handle_reply,
protocol)` (a Twisted transport), uvicorn a bound method of its protocol (an
asyncio transport); Channels' session middleware wraps it in an object
holding `real_send`. Where the transport cannot be found (the test
communicator, another server), nothing is measured and nothing is dropped.

On daphne the page's frames skip the ASGI `send` too: what the hub writes
to a room's thousand sockets is framed once (`Prepared`, autobahn's
prepared message) and written to each connection as it is, instead of
being checked, encoded and framed again for every socket by daphne and
autobahn (docs/performance.md has what that saves).
"""

import functools

# How many wrappers to look through before giving up.
DEPTH = 5


def connection(send):
    """The server's connection behind an ASGI `send` (the protocol object
    holding a transport), or None."""
    for _ in range(DEPTH):
        if isinstance(send, functools.partial):
            holder = send.args[0] if send.args else None
        else:
            holder = getattr(send, "__self__", None)
        if holder is None:
            return None
        if getattr(holder, "transport", None) is not None:
            return holder
        send = getattr(holder, "real_send", None)
    return None


def find(send):
    """The transport behind an ASGI `send`, or None."""
    holder = connection(send)
    return None if holder is None else holder.transport


def websocket(send):
    """daphne's WebSocket connection (autobahn's protocol) behind an ASGI
    `send`, to write frames to without the ASGI send; None on other servers."""
    holder = connection(send)
    return holder if hasattr(holder, "sendPreparedMessage") else None


class Prepared(str):
    """A frame's HTML that many sockets get (the hub's): its WebSocket frame
    is built once, the first time a socket on daphne writes it."""

    @functools.cached_property
    def frame(self):
        from autobahn.websocket.protocol import PreparedMessage

        # A server's frames are never masked; nothing is compressed on daphne (see write).
        return PreparedMessage(self.encode(), isBinary=False, applyMask=False, doNotCompress=True).payloadHybi


def write(websocket, html):
    """Write one text frame to daphne's `websocket` now, as daphne's own send
    would (nothing once the socket is closing or closed), without its checks
    and framing for each socket: a `Prepared` frame is built once for all."""
    if websocket.state != websocket.STATE_OPEN:
        return
    if websocket._perMessageCompress is not None or websocket.send_queue:
        # Compression (daphne negotiates none) frames each socket's own way;
        # autobahn's queue must keep its order.
        websocket.sendMessage(html.encode())
        return
    if not isinstance(html, Prepared):
        html = Prepared(html)
    send_now(websocket.transport, html.frame)


def send_now(transport, data):
    """Twisted's write buffers `data` and has the reactor call back once the
    socket can take it: two epoll_ctl calls and a turn of the loop per frame,
    about a quarter of the fan-out's CPU on daphne. Like asyncio's own
    transports, hand the socket what it takes at once when nothing is
    waiting before it; the rest (or any error) goes through Twisted's write,
    which keeps the order, and closes the connection its own way."""
    sock = getattr(transport, "socket", None)
    if (
        sock is not None
        and getattr(transport, "TLS", True) is False
        and transport.connected
        and not transport.disconnecting
        and unsent_bytes(transport) == 0
    ):
        try:
            sent = sock.send(data)
        except OSError:  # full (EAGAIN), or the peer is gone: Twisted's write finds out
            sent = 0
        if sent == len(data):
            return
        data = data[sent:]
    transport.write(data)


def unsent_bytes(transport):
    if transport is None:
        return 0
    if hasattr(transport, "get_write_buffer_size"):  # asyncio
        return transport.get_write_buffer_size()
    # Twisted's FileDescriptor: what is left of the buffer being written, and what waits behind it.
    buffered = getattr(transport, "dataBuffer", b"")
    return len(buffered) - getattr(transport, "offset", 0) + getattr(transport, "_tempDataLen", 0)


def abort(transport):
    """Close the connection at once, dropping what is buffered (a close
    frame would only queue behind it)."""
    if hasattr(transport, "abortConnection"):
        transport.abortConnection()
    elif hasattr(transport, "abort"):
        transport.abort()
