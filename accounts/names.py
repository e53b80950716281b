"""What a person is called on the page, what picture stands for them, and
how they are found by name.

The username is the handle (`@alice` mentions her, in any room); the name
shown beside it is the person's display name when they set one (their
profile, accounts/models.py), else their full name as staff entered it,
else the username. Everything that shows or finds people by name asks
here, so that where the name is kept can change in one place. Code that
shows many people selects `profile` with them (PROFILE): each lookup here
is then free.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.urls import reverse

# What select_related() needs to name users without a query each.
PROFILE = "profile"
# Generated avatars: a letter on one of this many background colours
# (chat.css .avatar-hue-N), chosen by user id so a person keeps theirs.
AVATAR_HUES = 8


def _profile(user):
    if user is None or user.pk is None:
        return None
    try:
        return user.profile
    except ObjectDoesNotExist:
        return None


def display_name(user):
    """The name to show for `user`: their display name, else their full name, else their username."""
    profile = _profile(user)
    return (profile.display_name if profile else "") or user.get_full_name() or user.get_username()


def avatar_url(user):
    """The URL of `user`'s avatar image, or None when they have none (pages draw their initial)."""
    profile = _profile(user)
    if profile is None or not profile.avatar:
        return None
    return reverse("avatar", args=[user.pk, profile.avatar_version])


def initial(user):
    """The letter a generated avatar shows: the display name's first letter or digit."""
    name = display_name(user)
    return next((char for char in name if char.isalnum()), name[:1] or "?").upper()


def avatar_hue(user):
    return (user.pk or 0) % AVATAR_HUES


def people_named(usernames):
    """The users of `usernames`, in that order, with their profiles (one
    query). A name no account holds any more (renamed or deleted since its
    page connected) stands as an unsaved user of that name."""
    User = get_user_model()
    field = User.USERNAME_FIELD
    found = {
        user.get_username(): user for user in User.objects.filter(**{f"{field}__in": usernames}).select_related(PROFILE)
    }
    return [found.get(name) or User(**{field: name}) for name in usernames]


def named_like(prefix):
    """A filter on users for those whose username, display name, first name
    or last name starts with `prefix` (in any case)."""
    field = get_user_model().USERNAME_FIELD
    return (
        Q(**{f"{field}__istartswith": prefix})
        | Q(profile__display_name__istartswith=prefix)
        | Q(first_name__istartswith=prefix)
        | Q(last_name__istartswith=prefix)
    )
