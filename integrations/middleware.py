"""Every answer under /api/ is JSON, errors as {"error": "..."}.

The API's views answer their own refusals that way (integrations/api.py).
Whatever else Django answers there is a page made for people: the 404 of an
address that does not exist, a 405 from a method check, a 400 for a bad
Host header, the 500 page after an unexpected exception. This middleware,
first in the list so that it sees every answer, gives those the same JSON
shape, status and headers, in one place rather than in each handler.
"""

from http import HTTPStatus

from asgiref.sync import iscoroutinefunction
from django.http import JsonResponse
from django.utils.decorators import sync_and_async_middleware

PREFIX = "/api/"

EXPLANATIONS = {
    400: "The request is malformed.",
    404: "There is nothing at this address; the API is described at /api/v1/openapi.json.",
    413: "The request body is too large.",
    500: "Something went wrong on the server; it has been logged.",
}

# What the JSON answer replaces; every other header (Allow, Retry-After,
# the security headers) is kept.
REPLACED_HEADERS = {"content-type", "content-length"}


def is_json(response):
    return response.get("Content-Type", "").partition(";")[0].strip() == "application/json"


def explanation(request, response):
    status = response.status_code
    if status == 405:
        return f"This address does not answer {request.method}; it answers {response.get('Allow', 'nothing')}."
    if status in EXPLANATIONS:
        return EXPLANATIONS[status]
    try:
        return f"{HTTPStatus(status).phrase}."
    except ValueError:
        return f"HTTP {status}."


def as_json(request, response):
    """`response` itself when it is JSON or no error, else its JSON equivalent."""
    if not request.path_info.startswith(PREFIX) or response.status_code < 400 or is_json(response):
        return response
    answer = JsonResponse({"error": explanation(request, response)}, status=response.status_code)
    for name, value in response.items():
        if name.lower() not in REPLACED_HEADERS:
            answer[name] = value
    answer.cookies = response.cookies
    return answer


@sync_and_async_middleware
def api_errors_as_json(get_response):
    if iscoroutinefunction(get_response):

        async def middleware(request):
            return as_json(request, await get_response(request))

    else:

        def middleware(request):
            return as_json(request, get_response(request))

    return middleware
