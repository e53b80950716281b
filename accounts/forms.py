from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm, UserCreationForm
from django.core.exceptions import ValidationError

from .usernames import validate_not_imitating


class DistinctUsernameMixin:
    """Refuses a username that imitates an existing one (accounts/usernames.py)."""

    def clean_username(self):
        parent = getattr(super(), "clean_username", None)
        username = parent() if parent else self.cleaned_data.get("username")
        if username and "username" not in self.errors:
            try:
                validate_not_imitating(username, exclude_pk=self.instance.pk)
            except ValidationError as error:
                self.add_error("username", error)
        return username


class SignupForm(DistinctUsernameMixin, UserCreationForm):
    """Sign-up, by invitation or on an open chat, and the first run."""


class AdminSignupForm(DistinctUsernameMixin, AdminUserCreationForm):
    """The admin's "Add user"."""


class AdminUserChangeForm(DistinctUsernameMixin, UserChangeForm):
    """The admin's user page: renaming someone to a look-alike is refused too."""
