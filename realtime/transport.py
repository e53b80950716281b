"""How much a socket's server has not managed to send yet, and how to drop it.

ASGI gives an application no backpressure: a send returns once the server
has queued the frame, so a client that stops reading makes the server
buffer without limit. The servers we run on let us see their transport
behind the `send` callable: daphne passes `partial(server.handle_reply,
protocol)` (a Twisted transport), uvicorn a bound method of its protocol (an
asyncio transport); Channels' session middleware wraps it in an object
holding `real_send`. Where the transport cannot be found (the test
communicator, another server), nothing is measured and nothing is dropped.
"""

import functools

# How many wrappers to look through before giving up.
DEPTH = 5


def find(send):
    """The transport behind an ASGI `send`, or None."""
    for _ in range(DEPTH):
        if isinstance(send, functools.partial):
            holder = send.args[0] if send.args else None
        else:
            holder = getattr(send, "__self__", None)
        if holder is None:
            return None
        transport = getattr(holder, "transport", None)
        if transport is not None:
            return transport
        send = getattr(holder, "real_send", None)
    return None


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
