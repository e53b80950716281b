"""Changing one's password, and resetting a forgotten one by email: Django's
auth views and tokens, with the chat's templates and three rules of its own.

- Changing the password keeps the session that changed it signed in
  (Django's update_session_auth_hash) and ends every other: their next
  request finds them signed out, and their open pages close at once (4401).
  A reset ends every session.
- A reset link goes only to an address its person confirmed
  (notifications/forms.py), through the worker; whatever address
  is typed, the page answers the same, so it tells nobody which addresses
  have accounts.
- Reset requests are throttled like logins (accounts/throttle.py), per
  client address and per typed address: nobody can flood an inbox or try
  addresses at will.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.links import absolute, site_name
from core.tasks import retrying_task
from core.text import one_line
from realtime import broadcast

from . import throttle

# Characters of the email's subject: mail programs show about 60-80.
SUBJECT_LIMIT = 150


def confirmed_addresses():
    """The people whose address is confirmed: they followed the link the
    email settings sent there (notifications/models.py keeps the confirmed
    address; anyone can type anyone's address into their settings)."""
    return get_user_model().objects.exclude(email="").filter(notification_settings__confirmed_email=F("email"))


class ConfirmedAddressResetForm(PasswordResetForm):
    """ "Forgot your password?": the people whose confirmed address this is
    (active, with a password) are each sent a reset link by the worker. An
    address set but never confirmed gets nothing. Nobody is told whether
    anyone matched."""

    def get_users(self, email):
        confirmed = set(confirmed_addresses().values_list("pk", flat=True))
        return (user for user in super().get_users(email) if user.pk in confirmed)

    def save(self, **options):
        """Queue the emails. Django's options (domain, templates, token
        generator) are not used: the worker makes the link from
        CHAT_BASE_URL and a fresh token when it sends."""
        for user in self.get_users(self.cleaned_data["email"]):
            address = user.email
            transaction.on_commit(
                lambda pk=user.pk, address=address: email_password_reset.enqueue(pk, address), robust=True
            )


@retrying_task(retries=3)
def email_password_reset(user_id, address, attempt=1):
    """Send a link that sets a new password, unless `address` is no longer
    the user's confirmed address (changed while this waited)."""
    return send_password_reset(user_id, address)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        kept = self.request.session.session_key  # cycled by update_session_auth_hash below
        response = super().form_valid(form)
        user_pk = self.request.user.pk
        transaction.on_commit(lambda: broadcast.signed_out(user_pk, keep_session_key=kept), robust=True)
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = ConfirmedAddressResetForm
    success_url = reverse_lazy("password_reset_done")

    def post(self, request, *args, **kwargs):
        refused = throttle.attempt(throttle.RESET, request, request.POST.get("email"))
        return refused or super().post(request, *args, **kwargs)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "lifetime": reset_link_lifetime()}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        user_pk = self.user.pk
        transaction.on_commit(lambda: broadcast.signed_out(user_pk), robust=True)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def reset_link_lifetime():
    """How long a password reset link works (PASSWORD_RESET_TIMEOUT), in words: "3 days", "2 hours"."""
    seconds = settings.PASSWORD_RESET_TIMEOUT
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" + ("" if count == 1 else "s")
    return f"{seconds} seconds"


def send_password_reset(user_id, address):
    """Email a link setting a new password to `address`, if it is still the
    user's confirmed address and they may sign in with a password. The
    token is made now: it stops working once the password changes or the
    person logs in again (Django's token covers both)."""
    user = confirmed_addresses().filter(pk=user_id, email=address, is_active=True).first()
    if user is None or not user.has_usable_password():
        return {"sent": 0, "why": "the address changed or the account cannot reset its password"}
    password_reset_email(user).send()
    return {"sent": 1}


def password_reset_email(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)})
    context = {
        "user": user,
        "site": site_name(),
        "reset_url": absolute(path),
        "lifetime": reset_link_lifetime(),
        "login_url": absolute(reverse("login")),
    }
    email = EmailMultiAlternatives(
        subject=one_line(f"Set a new password for {context['site']}", SUBJECT_LIMIT),
        body=render_to_string("accounts/password_reset_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    email.attach_alternative(render_to_string("accounts/password_reset_email.html", context), "text/html")
    return email
