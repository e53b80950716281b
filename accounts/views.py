"""Getting in: logging in, the first run, signing up (open, by invitation,
or not at all) and staff making invitations; and people's avatars."""

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core.serving import serve_stored

from . import throttle
from .forms import SignupForm
from .models import Invitation, Profile


def _no_user_yet():
    return not get_user_model().objects.exists()


class LoginView(auth_views.LoginView):
    """Django's login page; on an install without any account yet it leads
    to the first-run page instead."""

    redirect_authenticated_user = True

    def get(self, request, *args, **kwargs):
        if _no_user_yet():
            return redirect("first-run")
        return super().get(request, *args, **kwargs)


def _next_url(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return next_url
    return ""


CLOSED = ("Sign-up is closed", "This chat is not taking new accounts.")


def _refused(request, title, text, status=403):
    return render(request, "accounts/signup_refused.html", {"title": title, "text": text}, status=status)


def _signup_form(request, action, invitation=None):
    """The sign-up form at `action`; a valid POST creates the account (taking
    one use of `invitation` in the same transaction) and signs it in. Every
    POST counts towards the sign-up throttle."""
    next_url = _next_url(request)
    if request.user.is_authenticated:
        return redirect(next_url or "rooms:list")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        refused = throttle.attempt(throttle.SIGNUP, request, request.POST.get("username"))
        if refused:
            return refused
        if form.is_valid():
            with transaction.atomic():
                if invitation is not None and not invitation.claim():
                    transaction.set_rollback(True)
                    return _refused(request, "Invitation no longer valid", invitation.refusal(), status=410)
                user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(next_url or "rooms:list")
    return render(
        request,
        "registration/signup.html",
        {
            "form": form,
            "next": next_url,
            "action": action,
            "invitation": invitation,
        },
    )


def signup(request):
    """/accounts/signup/: the form when CHAT_SIGNUP is open; otherwise a page
    saying why not (GET and POST alike: nothing is created)."""
    if _no_user_yet():
        return redirect("first-run")
    if settings.CHAT_SIGNUP == "open":
        return _signup_form(request, request.path)
    if settings.CHAT_SIGNUP == "closed":
        return _refused(request, *CLOSED)
    return _refused(
        request,
        "An invitation is needed",
        "New accounts on this chat are made through an invitation link. Ask someone who runs it to send you one.",
    )


def join(request, token):
    """/accounts/join/<token>/: the sign-up form for an invitation's holder,
    or for an imported person's claim link, the form that claims their account."""
    invitation = Invitation.objects.select_related("account").filter(token=token).first()
    if invitation is not None and invitation.account is not None:
        return _claim_form(request, invitation)
    if settings.CHAT_SIGNUP == "closed":
        return _refused(request, *CLOSED)
    if invitation is None:
        return _refused(
            request,
            "Invitation not found",
            "This invitation link is not valid. Check that it was copied whole, or ask for a new one.",
            status=404,
        )
    reason = invitation.refusal()
    if reason and not request.user.is_authenticated:
        return _refused(request, "Invitation no longer valid", f"{reason} Ask for a new one.", status=410)
    return _signup_form(request, request.path, invitation)


def _claim_form(request, invitation):
    """An imported person chooses their account's password; the account is
    then active and signed in, with the history an import gave it. Makes no
    new account, so it works whatever CHAT_SIGNUP says. Every POST counts
    towards the sign-up throttle."""
    account = invitation.account
    if account.is_active or account.has_usable_password():
        return _refused(
            request,
            "Account claimed already",
            f"The account {account.get_username()} has been claimed: log in with its password.",
            status=410,
        )
    if reason := invitation.refusal():
        return _refused(request, "Invitation no longer valid", f"{reason} Ask for a new one.", status=410)
    form = SetPasswordForm(account, request.POST or None)
    if request.method == "POST":
        refused = throttle.attempt(throttle.SIGNUP, request, account.get_username())
        if refused:
            return refused
        if form.is_valid():
            with transaction.atomic():
                if not invitation.claim():
                    return _refused(request, "Invitation no longer valid", invitation.refusal(), status=410)
                account = form.save(commit=False)
                account.is_active = True
                account.save()
            login(request, account, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("rooms:list")
    return render(request, "accounts/claim.html", {"form": form, "account": account})


def _lock_accounts():
    """Serialises account creation for the rest of the transaction, so two
    first runs at once cannot both find no user. SQLite transactions here
    begin IMMEDIATE (settings), which already takes the write lock;
    PostgreSQL needs the table locked (reads go on)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(get_user_model()._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


def first_run(request):
    """The page that creates the first account (staff and superuser) on an
    install with none; gone (404) once any account exists."""
    if not _no_user_yet():
        raise Http404("The first account has been created.")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        refused = throttle.attempt(throttle.SIGNUP, request)
        if refused:
            return refused
        if form.is_valid():
            with transaction.atomic():
                _lock_accounts()
                if not _no_user_yet():
                    # Someone else's first run won: this one creates nobody.
                    return redirect("login")
                user = form.save(commit=False)
                user.is_staff = user.is_superuser = True
                user.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("rooms:list")
    return render(request, "accounts/first_run.html", {"form": form})


@login_required
@require_POST
def create_invitation(request):
    """Staff's "Invite people" on the room list: a new invitation with the
    default uses and lifetime, and its link to copy."""
    if not request.user.is_staff:
        raise PermissionDenied("Only staff can invite people.")
    if settings.CHAT_SIGNUP == "closed":
        return _refused(request, "Sign-up is closed", "This chat is not taking new accounts: no invitation was made.")
    invitation = Invitation.objects.create_for(created_by=request.user)
    return render(
        request,
        "accounts/invitation_created.html",
        {
            "invitation": invitation,
            "link": invitation.link(request),
        },
    )


@login_required
@require_GET
def avatar(request, pk, version):
    """A person's avatar, for signed-in people. `version` names the stored
    file: an avatar replaced since the page was made answers 404 (the page
    is told of the new one live)."""
    profile = get_object_or_404(Profile.objects.exclude(avatar=""), user_id=pk)
    if profile.avatar_version != version:
        raise Http404("That avatar has been replaced.")
    content_type = "image/jpeg" if profile.avatar.name.endswith(".jpg") else "image/png"
    return serve_stored(profile.avatar, profile.avatar.name.rsplit("/", 1)[-1], content_type, inline=True)
