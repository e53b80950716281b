"""Daphne leaves request bodies to Django.

Twisted's request object parses every multipart or urlencoded POST body
into `request.args` itself, in the reactor thread (with the email package),
as soon as the body has arrived, and only then does daphne hand the body
to Django, which parses it again in a worker thread. Daphne never reads
those args. The reactor is the event loop that fans messages out: parsing
a 5 MiB photo held it about 0.25 s, a 20 MiB file 0.4 s, and other
messages' p99 tripled while uploads finished (bench/results/uploads.md).
Twisted lets a request skip that parse (parsePOSTFormSubmission=False);
daphne does not ask for it, so its request class is replaced by one that
does. project/asgi.py applies this in every process that serves the app.
"""

import inspect

from daphne import http_protocol
from twisted.web import http


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
