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

from django.contrib.auth import views as auth_views
from django.db import transaction
from django.urls import reverse_lazy

from notifications.emails import reset_link_lifetime
from notifications.forms import ConfirmedAddressResetForm
from realtime import broadcast

from . import throttle


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
