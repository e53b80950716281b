from asgiref.sync import iscoroutinefunction, sync_to_async
from django.urls import reverse
from django.utils.decorators import sync_and_async_middleware

from . import throttle


def _is_login(request):
    return request.method == "POST" and request.path in {reverse("login"), reverse("admin:login")}


def _refusal(request):
    """The 429 response for a login form's POST (the site's or the admin's)
    while its username or client address is locked out, else None."""
    if not _is_login(request):
        return None
    until = throttle.blocked_until(throttle.LOGIN, request, request.POST.get("username"))
    return throttle.refusal(request, until) if until is not None else None


@sync_and_async_middleware
def login_throttle(get_response):
    """Refuses locked-out logins before the password is looked at, so the
    right password during a lockout gets in no more than a wrong one."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            if _is_login(request):
                refused = await sync_to_async(_refusal)(request)
                if refused is not None:
                    return refused
            return await get_response(request)

    else:

        def middleware(request):
            return _refusal(request) or get_response(request)

    return middleware
