"""How requests reach Django through daphne: bodies bounded while they
arrive, lines too long answered, and uploads without holding the event loop.

Daphne builds its requests with its own request class (Twisted's, extended)
on Twisted's HTTP/1.1 channel. `install_request_handling` (project/asgi.py
calls it in every process that serves the app, runserver included) puts
ours in their place:

1. Every body has a ceiling, enforced while it arrives. Twisted spools
   whatever comes to a temporary file, and Django only sees the request
   once the body is complete (then spools it again): an anonymous 1 GiB
   chunked POST filled 2 GiB of temporary disk before its 403, and a
   member's 260 MiB upload was received whole before its 413. The channel
   tells the request its body's declared length as soon as the headers are
   in (gotLength), then hands it each piece as it is decoded
   (handleContentChunk, chunked transfer-encoding included): a body past
   its ceiling, declared or counted, is answered 413 there and its
   connection closed, so nothing more is read or spooled. A view that takes
   more than CHAT_MAX_REQUEST_BYTES says how much (`accepts_body`: the
   upload views, for their files and a margin). Such a view may also say
   that it serves signed-in people only: a body within its ceiling but
   without a session cookie at all is then answered 403 after its headers,
   rather than received whole for the view to refuse.

2. Twisted's request object parses every multipart or urlencoded POST body
   into `request.args` itself, in the reactor thread (with the email
   package), as soon as the body has arrived; daphne never reads those
   args, and Django parses the body again anyway. The reactor is the event
   loop that fans messages out: a 5 MiB photo held it about 0.25 s, a
   20 MiB file 0.4 s (bench/uploads.py). Twisted lets a request skip that
   parse (parsePOSTFormSubmission=False); daphne does not ask for it.

3. Daphne then hands the body to the app in messages of
   `Server.request_buffer_size` bytes, 8 KiB unless set, and its command
   line has no option for it: 2,560 messages for 20 MiB, made in one go in
   the event loop, and Django writes each one past FILE_UPLOAD_MAX_MEMORY_SIZE
   to its spool file through a thread round trip. Three finished 20 MiB
   uploads waited 5-6 s for their answer on a busy server, and other
   messages with them. In 1 MiB pieces it is 20 of each.

4. A request line or header block longer than Twisted reads (16 KiB) got
   no answer at all (an over-long line dropped the connection) or a bare
   400; our channel answers 414 or 431, then closes.
"""

import inspect
import json
import logging
from urllib.parse import unquote, urlsplit

from daphne import http_protocol
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import Resolver404, resolve
from twisted.protocols import basic
from twisted.web import http

# What a multipart body holds besides the files: each part's headers (with
# file names of up to 255 characters), the caption and the client id.
MULTIPART_OVERHEAD = 1024 * 1024

logger = logging.getLogger(__name__)

PIECE = 1 << 20


def accepts_body(ceiling, refusal, signed_out=None):
    """Let a view take request bodies of up to `ceiling()` bytes instead of
    CHAT_MAX_REQUEST_BYTES; a larger one is answered 413 with the text
    `refusal()` before the rest of it arrives. Both are called for each such
    request, so they follow the settings. `signed_out`: the view serves
    signed-in people only, and a declared body without a session cookie is
    answered 403 with this text before it is read (a cookie that turns out
    stale is the view's to refuse)."""

    def mark(view):
        view.body_ceiling = (ceiling, refusal, signed_out)
        return view

    return mark


def ceiling_for(path):
    """(most bytes, a callable giving the refusal, the signed-out refusal or
    None) for a request to `path`, as its view declared them (the URLconf
    says which view), else the default. Cheap enough for the event loop:
    URL resolution, no I/O."""
    try:
        ceiling, refusal, signed_out = getattr(resolve(path).func, "body_ceiling", (None, None, None))
    except Resolver404:
        ceiling = None
    if ceiling is not None:
        return ceiling(), refusal, signed_out
    limit = settings.CHAT_MAX_REQUEST_BYTES
    return limit, lambda: f"This request is too large: requests are limited to {limit / 2**20:g} MiB.", None


def answer_and_close(channel, status, phrase, text, as_json=False):
    """Answer `text` (as {"error": text} for the API) and close the
    connection, for a request refused before the app sees it."""
    if as_json:
        body, kind = json.dumps({"error": text}).encode(), b"application/json"
    else:
        body, kind = text.encode(), b"text/plain; charset=utf-8"
    channel.transport.write(
        b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nX-Content-Type-Options: nosniff\r\n"
        b"Connection: close\r\n\r\n%s" % (status, phrase, kind, len(body), body)
    )
    channel.loseConnection()


class WebRequest(http_protocol.WebRequest):
    refused = False
    body_received = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, parsePOSTFormSubmission=False, **kwargs)
        # The size is the server's (daphne reads it per request); its CLI cannot set it.
        if self.server.request_buffer_size < PIECE:
            self.server.request_buffer_size = PIECE

    def gotLength(self, length):
        """The headers are in (`length` None: chunked). A body declared past
        its ceiling is refused before any of it is read."""
        if length != 0:
            self.body_received = 0
            self.body_ceiling, self.body_refusal, signed_out = ceiling_for(self.target_path())
            if length is not None and length > self.body_ceiling:
                return self._refuse_body()
            # Past the ceiling is 413 whoever sends it (above); within it, a
            # declared body nobody signed in could send is not worth reading.
            # Twisted parsed the cookies before calling gotLength.
            if length is not None and signed_out and settings.SESSION_COOKIE_NAME.encode() not in self.received_cookies:
                return self._refuse(403, b"Forbidden", signed_out)
        return super().gotLength(length)

    def handleContentChunk(self, data):
        if self.refused:
            return
        self.body_received += len(data)
        if self.body_received > self.body_ceiling:
            return self._refuse_body()
        return super().handleContentChunk(data)

    def requestReceived(self, command, path, version):
        # A chunked body's end may follow its refusal in the same read.
        if not self.refused:
            super().requestReceived(command, path, version)

    def target_path(self):
        """The path the app will route (the channel has it before `self.path`
        is set): percent-decoded as daphne does, without the root path."""
        target = self.channel._path.split(b"?", 1)[0]
        if not target.startswith(b"/"):  # absolute-form: http://host/path
            target = urlsplit(target).path
        try:
            path = unquote(target.decode("ascii"))
        except UnicodeDecodeError:  # daphne answers 400 once the body is in
            return "/"
        root = self.server.root_path
        return path[len(root) :] if root and path.startswith(root) else path

    def _refuse_body(self):
        logger.info("refused a request body of more than %d bytes for %s", self.body_ceiling, self.target_path())
        self._refuse(413, b"Content Too Large", self.body_refusal())

    def _refuse(self, status, phrase, text):
        self.refused = True
        # The channel answers "Expect: 100-continue" after gotLength returns: not to this one.
        self.requestHeaders.removeHeader(b"Expect")
        answer_and_close(self.channel, status, phrase, text, as_json=self.target_path().startswith("/api/"))


class Channel(http.HTTPChannel):
    """Twisted's HTTP/1.1 channel, answering a request line or a header
    block too long to read with 414 or 431 and closing; Twisted drops the
    connection without a word on a line over MAX_LENGTH, and answers a bare
    400 once the headers pass totalHeadersSize."""

    def lineReceived(self, line):
        if self._receivedHeaderSize + len(line) > self.totalHeadersSize:
            return self._too_long()
        return super().lineReceived(line)

    def lineLengthExceeded(self, line):
        return self._too_long()

    def _too_long(self):
        if "_command" not in vars(self):  # no request line yet: that line is the long one
            answer_and_close(
                self, 414, b"URI Too Long", f"This address is too long: at most {self.MAX_LENGTH // 1024} KiB."
            )
        else:
            answer_and_close(
                self,
                431,
                b"Request Header Fields Too Large",
                f"This request's headers are too large: at most {self.totalHeadersSize // 1024} KiB.",
            )


def _build_channel(factory):
    # What Twisted's HTTPFactory builds (a protocol switching to HTTP/2 after
    # ALPN), with our channel for HTTP/1.1.
    return http._GenericHTTPChannelProtocol(Channel())


def install_request_handling():
    if http_protocol.WebRequest is WebRequest:
        return
    # Fail loudly, at start-up, should an upgrade of Twisted or daphne move
    # what this relies on: bodies would be unbounded again, silently.
    headers_in = inspect.getsource(http.HTTPChannel.allHeadersReceived)
    request_line = inspect.getsource(http.HTTPChannel.lineReceived)
    relied_on = {
        "Twisted's Request(parsePOSTFormSubmission=)": (
            "parsePOSTFormSubmission" in inspect.signature(http.Request.__init__).parameters
        ),
        "Twisted's HTTPChannel calling request.gotLength once the headers are in, before answering Expect": (
            0 <= headers_in.find("req.gotLength(self.length)") < headers_in.find("Expect")
        ),
        "Twisted's HTTPChannel handing each decoded piece of a body to request.handleContentChunk": (
            "self.requests[-1].handleContentChunk" in inspect.getsource(http.HTTPChannel._maybeChooseTransferDecoder)
        ),
        "Twisted's HTTPChannel keeping the request target in _path and the method in _command": (
            "self._path = request" in request_line
            and "self._command = command" in request_line
            and "del self._command" in inspect.getsource(http.HTTPChannel.allContentReceived)
        ),
        "Twisted's HTTPChannel counting header bytes in _receivedHeaderSize against totalHeadersSize": (
            "self._receivedHeaderSize > self.totalHeadersSize" in request_line
        ),
        "Twisted's LineReceiver calling lineLengthExceeded for a line over MAX_LENGTH": (
            "self.lineLengthExceeded(" in inspect.getsource(basic.LineReceiver.dataReceived)
        ),
        "Twisted's HTTPFactory building _GenericHTTPChannelProtocol(HTTPChannel())": (
            "_GenericHTTPChannelProtocol(HTTPChannel())" in inspect.getsource(http._genericHTTPChannelProtocolFactory)
        ),
        "daphne's HTTPFactory building requests with WebRequest on Twisted's HTTPFactory": (
            "protocol.requestFactory = WebRequest" in inspect.getsource(http_protocol.HTTPFactory.buildProtocol)
            and "http.HTTPFactory.buildProtocol(self, addr)"
            in inspect.getsource(http_protocol.HTTPFactory.buildProtocol)
        ),
        "daphne's WebRequest.process reading the body by request_buffer_size": (
            "self.content.read(buffer_size)" in inspect.getsource(http_protocol.WebRequest.process)
        ),
    }
    missing = [what for what, there in relied_on.items() if not there]
    if missing:
        raise ImproperlyConfigured(f"core/request_bodies.py relies on what is no longer there: {missing}")
    http_protocol.WebRequest = WebRequest
    http_protocol.HTTPFactory.protocol = _build_channel
