"""Usernames that imitate someone else's are refused.

Two names are taken for the same person when they differ only in case
("Alice", "alice"), in compatibility forms (NFKC: "ａｌｉｃｅ" full width) or in
characters that look alike (Unicode TR39 confusables: Cyrillic "а" for Latin
"a", "I" or "1" for "l"). The look-alike data is the Unicode consortium's
confusables.txt as shipped by the `confusable-homoglyphs` package; it lists
single characters only, so look-alike sequences such as "rn" for "m" are not
caught. Existing names are compared one by one: a chat's few thousand
accounts take milliseconds, and no extra column has to be kept in step with
every way a user is created.
"""

import unicodedata
from functools import cache

from confusable_homoglyphs import confusables
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

# Right-to-left homoglyphs come wrapped in left-to-right marks in the data.
_MARKS = "\u200e\u200f"


@cache
def _prototype(char):
    """The character that stands for `char`'s look-alike class: the one the
    class's other members are listed as looking like (confusables.txt maps
    every member to it), so it is the member with the longest list."""
    data = confusables.confusables_data
    if char not in data:
        return char
    members = {char} | {entry["c"].strip(_MARKS) for entry in data[char]}
    members = {m for m in members if len(m) == 1}
    return min(members, key=lambda m: (-len(data.get(m, ())), m))


def _map(text):
    return "".join(_prototype(char) for char in text)


def skeletons(username):
    """What `username` looks like, with case and look-alikes folded: two
    names that share a skeleton are read as the same name. Folding case
    first catches "ALICE" for "alice", mapping first catches "AIice" (capital
    i) for "Alice"."""
    name = unicodedata.normalize("NFKC", username)
    return {_map(name.casefold()), _map(_map(name).casefold())}


def imitated(username, exclude_pk=None):
    """The existing username that `username` imitates, or None."""
    own = skeletons(username)
    users = get_user_model().objects.all()
    if exclude_pk is not None:
        users = users.exclude(pk=exclude_pk)
    for existing in users.values_list("username", flat=True).iterator():
        if own & skeletons(existing):
            return existing
    return None


def validate_not_imitating(username, exclude_pk=None):
    existing = imitated(username, exclude_pk)
    if existing is None:
        return
    if existing == username:
        raise ValidationError("A user with that username already exists.", code="unique")
    raise ValidationError(
        "This username is taken: it looks the same as an existing one (letters that look alike, or only "
        "upper and lower case differ). Choose a clearly different name.",
        code="imitation",
    )
