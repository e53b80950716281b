"""Django's CSRF check, reading the token from the X-CSRFToken header
before the body.

Django looks for the token among a POST's form fields first, which parses
the whole body (for an upload: every file written to a temporary file)
before a forged or anonymous request is refused. When the header is sent
(the page's scripts always send it) the body is not touched; and a view
marked `csrf_token_in_header` takes the token from the header only, so no
body sent to it is parsed for the check."""

from django.conf import settings
from django.http import QueryDict
from django.middleware import csrf


def csrf_token_in_header(view):
    """Mark a view whose callers send the CSRF token in the X-CSRFToken
    header (the upload views): a body without it is refused unparsed."""
    view.csrf_token_in_header = True
    return view


class CsrfViewMiddleware(csrf.CsrfViewMiddleware):
    def process_view(self, request, callback, callback_args, callback_kwargs):
        request.csrf_token_in_header = getattr(callback, "csrf_token_in_header", False)
        return super().process_view(request, callback, callback_args, callback_kwargs)

    def _check_token(self, request):
        if getattr(request, "csrf_token_in_header", False) or settings.CSRF_HEADER_NAME in request.META:
            request = _FormUnread(request)
        super()._check_token(request)


class _FormUnread:
    """The request as the check sees it: no form fields, so Django takes
    the header; everything else is the request's."""

    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        return getattr(self._request, name)

    @property
    def POST(self):
        return QueryDict()
