"""A search result's snippet: the message's words as they read on the page
(its formatting marks gone: `**`, backticks, `>`), around the first match,
escaped, with the matches in <mark>.

The database marks the matches in the whole text (search/backends.py) with
strings made for each search, so a message cannot forge one. They are made
of private-use characters and letters, which Markdown reads like the
letters of the word they surround: formatting parses the marked text as it
parses the message (`**deploy**` stays bold around a marked word). The text
is then reduced to its words (rooms.formatting.plain_text), cut to a window
at word boundaries, escaped, and only then do the marks become <mark>.
"""

import re
import secrets

from django.utils.html import escape
from django.utils.safestring import mark_safe

from rooms.formatting import plain_text

# How much of a message a result shows, in characters, and how much of it
# may come before the first match (so the match reads in its sentence).
SNIPPET_CHARS = 200
LEAD_CHARS = 60
ELLIPSIS = "…"


class Marks:
    def __init__(self):
        token = secrets.token_hex(8)
        self.start, self.stop = f"\ue000{token}\ue001", f"\ue002{token}\ue003"

    def strip(self, text):
        return text.replace(self.start, "").replace(self.stop, "")

    def html(self, text):
        """`text` (with marks) escaped, the marks as <mark> elements. A window
        may cut a marked phrase: one open at its start or end is balanced."""
        html, opened = [], False
        for part in re.split(f"({re.escape(self.start)}|{re.escape(self.stop)})", text):
            if part == self.start:
                html.append("<mark>")
                opened = True
            elif part == self.stop:
                if not opened:
                    html.insert(0, "<mark>")
                html.append("</mark>")
                opened = False
            else:
                html.append(escape(part))
        if opened:
            html.append("</mark>")
        return mark_safe("".join(html))


def snippet(text, marks):
    """Safe HTML for a result: `text` (a message's, with `marks` around its
    matches, or none) as read, at most about SNIPPET_CHARS characters."""
    words = plain_text(text).split(" ")
    if words == [""]:
        return mark_safe("")
    lengths = [len(marks.strip(word)) for word in words]
    first = next((i for i, word in enumerate(words) if marks.start in word or marks.stop in word), 0)
    begin, end, used = first, first + 1, lengths[first]
    # Some context before the match, then as much after it as fits, then
    # (a match near the end) more before it again.
    while begin > 0 and used + 1 + lengths[begin - 1] <= LEAD_CHARS:
        begin -= 1
        used += 1 + lengths[begin]
    while end < len(words) and used + 1 + lengths[end] <= SNIPPET_CHARS:
        used += 1 + lengths[end]
        end += 1
    while begin > 0 and used + 1 + lengths[begin - 1] <= SNIPPET_CHARS:
        begin -= 1
        used += 1 + lengths[begin]
    shown = " ".join(words[begin:end])
    return mark_safe((ELLIPSIS if begin else "") + marks.html(shown) + (ELLIPSIS if end < len(words) else ""))
