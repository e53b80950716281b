"""Names that go on one line: a room's name and topic, and every name an
email header carries.

A control character (C0 such as CR, LF, TAB and NUL; DEL; C1 such as NEL)
or a Unicode line or paragraph separator in a name breaks whatever puts the
name on one line: an email header refuses it (the email fails, and fails
again on every retry), a NUL is cut or refused by mail servers and
PostgreSQL alike, and a line break splits a list entry in two. Names refuse
them when entered (`validate_one_line`); text that may still hold them
(stored before the rule, or made in a shell) is flattened where it is used
(`one_line`).
"""

import unicodedata

from django.core.exceptions import ValidationError

# Cc: C0 controls, DEL and C1 controls. Zl, Zp: U+2028 and U+2029, which
# Python and mail programs treat as line breaks.
_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})


def _breaks_lines(char):
    return unicodedata.category(char) in _LINE_BREAKING


def validate_one_line(value):
    """Refuses text with control characters or line breaks (the model field
    validator of names and topics: the admin shows the message under the field)."""
    if any(_breaks_lines(char) for char in value):
        raise ValidationError(
            "Use one line of text: line breaks, tabs and other control characters are not allowed.",
            code="control_characters",
        )


def one_line(text, limit=None):
    """`text` on one line: each run of control characters and whitespace
    becomes one space, the ends are stripped, and with `limit` it is cut to
    at most that many characters (ending in "…" when cut)."""
    text = " ".join("".join(" " if _breaks_lines(char) else char for char in text).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def describe_size(size):
    """Bytes as people read them: 25 MiB, 1.5 MiB, 300 KiB, 12 bytes."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} byte" + ("" if size == 1 else "s")
