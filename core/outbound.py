"""Calling a URL someone chose (a bot's webhook, a browser's push service):
over http.client, to an address already checked (core/netguard.py), the
whole exchange within one deadline.

The caller resolves and checks the host first; the connection then goes to
that address itself, not to a second lookup's answer (a name can resolve
elsewhere a second later), while the Host header and the TLS name stay the
URL's. Redirects are not followed.
"""

import http.client
import socket
import threading
from typing import NamedTuple

# Most of an answer read: whoever calls out wants a status and a short body.
MAX_ANSWER_BYTES = 64 * 1024


class Target(NamedTuple):
    """Where a call goes: the URL's parts and the checked address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


class Answer(NamedTuple):
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def post(target, body, headers, timeout):
    """POST the raw `body` to `target`; returns its Answer. Raises
    TimeoutError when the whole exchange takes more than `timeout` seconds,
    or OSError / http.client errors for a failed call."""
    connection_class = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(target.host, target.port, timeout=timeout)
    with Deadline(timeout) as deadline:
        # Connect to the address that was checked, not to a second lookup's answer.
        connection._create_connection = lambda _address, *args, **kwargs: deadline.connect(target.address, target.port)
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = Answer(response.status, response.headers, read_answer(response))
        except (OSError, http.client.HTTPException):
            if not deadline.expired:
                raise
        finally:
            connection.close()
        if deadline.expired:
            # Whatever was read is cut short: a half answer is no answer.
            raise TimeoutError(f"timed out: no complete answer within {timeout} s")
    return answer


class Deadline:
    """One deadline for a whole call: connecting, sending, the status line,
    the headers and the body.

    A socket timeout bounds each wait for bytes, not their sum: an endpoint
    that sends a byte every second never trips it, and http.client reads the
    status line and headers a line at a time, each line in as many reads as
    the endpoint likes. So a timer shuts the connection down when the time is
    up, whatever is waiting on it then; the call sees its socket closed and
    `expired` says why."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        # A duplicate of the connection's socket: shutting it down ends the
        # connection for both, and TLS takes the original over (detaching it).
        self._watched = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()
        with self._lock:
            if self._watched is not None:
                self._watched.close()
                self._watched = None

    def connect(self, address, port):
        """A TCP connection to (address, port), watched until the deadline."""
        sock = socket.create_connection((address, port), timeout=self.seconds)
        with self._lock:
            if self.expired:
                sock.close()
                raise TimeoutError("timed out while connecting")
            self._watched = sock.dup()
        return sock

    def _expire(self):
        with self._lock:
            self.expired = True
            if self._watched is not None:
                try:
                    self._watched.shutdown(socket.SHUT_RDWR)
                except OSError:  # closed already
                    pass


def read_answer(response):
    """At most MAX_ANSWER_BYTES of the body (the deadline bounds the time)."""
    chunks, size = [], 0
    while size < MAX_ANSWER_BYTES:
        chunk = response.read1(min(8192, MAX_ANSWER_BYTES - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
