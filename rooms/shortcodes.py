"""Emoji shortcodes: `:tada:` is 🎉.

The names are the emoji package's (its CLDR names, `:party_popper:`, and
the aliases people know from GitHub and Slack, `:tada:`, `:+1:`): exactly
what emoji.emojize(text, language="alias") converts. The server converts
them when a message is saved (rooms/formatting.py with_emoji, outside code
and links); the page converts them as they are typed and offers them as
completions, from table(): the same names and emoji, served by
rooms/views.py emoji_table at a URL that names the package's version, so a
browser keeps its copy until the package changes.

emojize looks each name up by scanning the package's whole table (15 s
for all the names here, milliseconds for each name that is none, which a
message full of made-up ones would multiply), so table() reads the
package's data once, with emojize's own rule, into a dict.
"""

import functools
import json
import re
import unicodedata

import emoji
from emoji.unicode_codes import STATUS

# What the package's names are made of: letters and digits of any script
# (":Curaçao:"), _ and a few signs (":+1:", ":keycap_#:", ":Côte_d’Ivoire:").
NAME = r"[\w’()!#*&+.-]+"
# A shortcode stands at the start of a word: "key:x:value" and "10:30:00"
# name no emoji, and a backslash keeps it as typed (`\:tada:`).
SHORTCODE = re.compile(rf"(?<![\w\\]):({NAME}):")

VERSION = emoji.__version__


@functools.cache
def table():
    """{name: emoji} for every name emojize(..., language="alias") knows:
    an alias first, else a CLDR name, of the first emoji in the package's
    data that is at least fully qualified."""
    aliases, names = {}, {}
    for character, data in emoji.EMOJI_DATA.items():
        if data["status"] > STATUS["fully_qualified"]:
            continue
        for alias in data.get("alias", ()):
            aliases.setdefault(alias.strip(":"), character)
        names.setdefault(data["en"].strip(":"), character)
    return {**names, **aliases}


def emoji_for(name):
    """The emoji `name` (without its colons) stands for, or None."""
    if not name.isascii():
        name = unicodedata.normalize("NFKC", name)  # as emojize reads it
    return table().get(name)


@functools.cache
def table_json():
    """table() as the page fetches it: compact UTF-8 JSON."""
    return json.dumps(table(), ensure_ascii=False, separators=(",", ":")).encode()
