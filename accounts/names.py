"""What a person is called on the page, and how they are found by it.

The username is the handle (`@alice` mentions her, in any room); the name
shown beside it is the person's own when they have one. Everything that
shows or finds people by name asks here, so that where the name is kept can
change in one place.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q


def display_name(user):
    """The name to show for `user`: their full name, else their username."""
    return user.get_full_name() or user.get_username()


def named_like(prefix):
    """A filter on users for those whose username, first name or last name
    starts with `prefix` (in any case)."""
    field = get_user_model().USERNAME_FIELD
    return (Q(**{f"{field}__istartswith": prefix}) | Q(first_name__istartswith=prefix)
            | Q(last_name__istartswith=prefix))
