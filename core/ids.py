"""Reading an id that came from outside: a frame, a query string, a path.

One grammar for every door, so a look-alike cannot crash one of them while
the others refuse it: ASCII digits only (Python's str.isdigit() and int()
also take "²", "①" and "٣", and int() takes " 1", "+1" and "1_0"), or a
JSON number that is a whole number; 1 up to the largest 64-bit id a
database holds. Anything else raises BadId, which each door turns into its
own clear refusal (an error fragment, a 400, a 404), never a crash.

It lives outside the feature apps because all of them read ids (rooms,
realtime, files, search) and features import shared infrastructure, never
each other's helpers for it; and in an app of its own (core/apps.py)
because a path converter must be registered once, before any URLconf or
socket route is read, which is what an app's ready() is for.
"""

import re

# Ids are 64-bit in the database: a larger number names nothing.
MAX_ID = 2**63 - 1
# Leading zeros are tolerated ("007" is 7), but no longer a string than that.
MAX_DIGITS = 19
DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")


class BadId(ValueError):
    """Not an id."""


def parse_id(value, minimum=1):
    """The id `value` names: an int (not a bool) or a string of ASCII digits,
    from `minimum` (0 where "after 0" means "from the start") to MAX_ID.
    Raises BadId for anything else."""
    if isinstance(value, str) and DIGITS.fullmatch(value):
        value = int(value)
    elif isinstance(value, bool) or not isinstance(value, int):
        raise BadId(f"{value!r:.40} is not an id.")
    if not minimum <= value <= MAX_ID:
        raise BadId(f"{value!r:.40} is not an id.")
    return value


class IdConverter:
    """<id:name> in a URL: a path whose id is not one matches no route (404)."""

    regex = DIGITS.pattern

    def to_python(self, value):
        return parse_id(value)  # BadId is a ValueError: Django then tries the next route

    def to_url(self, value):
        return str(value)  # our own ids (pages also reverse 0 as a placeholder to fill in)
