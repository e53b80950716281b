"""How an upload's body reaches Django without holding the event loop.

Two things in the way, both measured by bench/uploads.py:

1. Twisted's request object parses every multipart or urlencoded POST body
   into `request.args` itself, in the reactor thread (with the email
   package), as soon as the body has arrived; daphne never reads those
   args, and Django parses the body again anyway. The reactor is the event
   loop that fans messages out: a 5 MiB photo held it about 0.25 s, a
   20 MiB file 0.4 s. Twisted lets a request skip that parse
   (parsePOSTFormSubmission=False); daphne does not ask for it, so
   `leave_bodies_to_django` swaps in a request class that does.

2. Daphne then hands the body over in 8 KiB messages, and Django's
   ASGIHandler writes each one past FILE_UPLOAD_MAX_MEMORY_SIZE to its
   spool file through a thread of its own: 2,500 round trips between the
   event loop and a thread for 20 MiB, which kept three finished 20 MiB
   uploads waiting 5 s for their answer on a busy server. `WholeBodyChunks`
   gathers those messages into pieces of 1 MiB before Django sees them;
   the answer then comes well under a second after the last byte.

project/asgi.py applies both in every process that serves the app.
"""

import inspect

from daphne import http_protocol
from twisted.web import http

PIECE = 1 << 20


class WebRequest(http_protocol.WebRequest):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, parsePOSTFormSubmission=False, **kwargs)


def leave_bodies_to_django():
    if http_protocol.WebRequest is WebRequest:
        return
    # Fail loudly should an upgrade of Twisted or daphne move what this relies on.
    assert "parsePOSTFormSubmission" in inspect.signature(http.Request.__init__).parameters
    assert "protocol.requestFactory = WebRequest" in inspect.getsource(http_protocol.HTTPFactory.buildProtocol)
    http_protocol.WebRequest = WebRequest


class WholeBodyChunks:
    """ASGI middleware for HTTP: the body's `http.request` messages reach
    the app gathered into pieces of at least `piece` bytes (the last one
    smaller). Whatever else arrives (`http.disconnect`) passes at once."""

    def __init__(self, app, piece=PIECE):
        self.app = app
        self.piece = piece

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def gathered():
            message = await receive()
            parts, size = [message.get("body", b"")], len(message.get("body", b""))
            while message["type"] == "http.request" and message.get("more_body") and size < self.piece:
                message = await receive()
                if message["type"] != "http.request":
                    return message  # the client left: Django drops the body
                parts.append(message.get("body", b""))
                size += len(parts[-1])
            if len(parts) == 1:
                return message
            return {"type": "http.request", "body": b"".join(parts), "more_body": message.get("more_body", False)}

        return await self.app(scope, gathered, send)
