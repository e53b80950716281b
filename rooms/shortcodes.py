"""Emoji shortcodes: `:tada:` is 🎉.

The names are the emoji package's (its CLDR names, `:party_popper:`, and
the aliases people know from GitHub and Slack, `:tada:`, `:+1:`), looked up
with emoji.emojize(..., language="alias"). The server converts them when a
message is saved (rooms/formatting.py with_emoji, outside code and links);
the page converts them as they are typed and offers them as completions,
from table(): the same names and emoji, served by rooms/views.py
emoji_table at a URL that names the package's version, so a browser keeps
its copy until the package changes.
"""

import functools
import json
import re

import emoji

# What the package's names are made of: letters and digits of any script
# (":Curaçao:"), _ and a few signs (":+1:", ":keycap_#:", ":Côte_d’Ivoire:").
NAME = r"[\w’()!#*&+.-]+"
# A shortcode stands at the start of a word: "key:x:value" and "10:30:00"
# name no emoji, and a backslash keeps it as typed (`\:tada:`).
SHORTCODE = re.compile(rf"(?<![\w\\]):({NAME}):")

VERSION = emoji.__version__


def emoji_for(name):
    """The emoji `name` (without its colons) stands for, or None."""
    shortcode = f":{name}:"
    converted = emoji.emojize(shortcode, language="alias")
    return None if converted == shortcode else converted


@functools.cache
def table():
    """{name: emoji} for every name emoji_for knows, in the package's order
    (for each emoji its CLDR name, then its aliases)."""
    names = {}
    for data in emoji.EMOJI_DATA.values():
        for shortcode in (data["en"], *data.get("alias", ())):
            name = shortcode.strip(":")
            if name not in names and (converted := emoji_for(name)) is not None:
                names[name] = converted
    return names


@functools.cache
def table_json():
    """table() as the page fetches it: compact UTF-8 JSON."""
    return json.dumps(table(), ensure_ascii=False, separators=(",", ":")).encode()
