"""The site's addresses plus two under /api/ that go wrong the way a bug
or a forgotten decorator would (integrations/tests/test_api_errors.py)."""

from django.http import JsonResponse
from django.urls import path

from project.urls import urlpatterns as site


def failing(request):
    raise RuntimeError("a bug in an API view")


def csrf_guarded(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("api/v1/failing/", failing),
    path("api/v1/csrf-guarded/", csrf_guarded),
    *site,
]
