"""How an upload's body reaches Django without holding the event loop.

Two things in daphne's way, both measured by bench/uploads.py, both in its
request class, which `leave_bodies_to_django` replaces with one that
avoids them (project/asgi.py applies it in every process that serves the
app, runserver included):

1. Twisted's request object parses every multipart or urlencoded POST body
   into `request.args` itself, in the reactor thread (with the email
   package), as soon as the body has arrived; daphne never reads those
   args, and Django parses the body again anyway. The reactor is the event
   loop that fans messages out: a 5 MiB photo held it about 0.25 s, a
   20 MiB file 0.4 s. Twisted lets a request skip that parse
   (parsePOSTFormSubmission=False); daphne does not ask for it.

2. Daphne then hands the body to the app in messages of
   `Server.request_buffer_size` bytes, 8 KiB unless set, and its command
   line has no option for it: 2,560 messages for 20 MiB, made in one go in
   the event loop, and Django writes each one past FILE_UPLOAD_MAX_MEMORY_SIZE
   to its spool file through a thread round trip. Three finished 20 MiB
   uploads waited 5-6 s for their answer on a busy server, and other
   messages with them. In 1 MiB pieces it is 20 of each.
"""

import inspect

from daphne import http_protocol
from django.core.exceptions import ImproperlyConfigured
from twisted.web import http

PIECE = 1 << 20


class WebRequest(http_protocol.WebRequest):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, parsePOSTFormSubmission=False, **kwargs)
        # The size is the server's (daphne reads it per request); its CLI cannot set it.
        if self.server.request_buffer_size < PIECE:
            self.server.request_buffer_size = PIECE


def leave_bodies_to_django():
    if http_protocol.WebRequest is WebRequest:
        return
    # Fail loudly, at start-up, should an upgrade of Twisted or daphne move
    # what this relies on: uploads would hold the event loop again, silently.
    relied_on = {
        "Twisted's Request(parsePOSTFormSubmission=)":
            "parsePOSTFormSubmission" in inspect.signature(http.Request.__init__).parameters,
        "daphne's HTTPFactory building requests with WebRequest":
            "protocol.requestFactory = WebRequest" in inspect.getsource(http_protocol.HTTPFactory.buildProtocol),
        "daphne's WebRequest.process reading the body by request_buffer_size":
            "self.content.read(buffer_size)" in inspect.getsource(http_protocol.WebRequest.process),
    }
    missing = [what for what, there in relied_on.items() if not there]
    if missing:
        raise ImproperlyConfigured(f"project/request_bodies.py relies on what is no longer there: {missing}")
    http_protocol.WebRequest = WebRequest
