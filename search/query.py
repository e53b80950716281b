"""What a search box line asks for: words, "exact phrases", -excluded words,
and the filters `from:<username>` and `in:<room slug>`.

Both databases get the same parsed query: PostgreSQL as a websearch_to_tsquery
line rebuilt from it, SQLite as an FTS5 MATCH expression, so a line means the
same thing on either.
"""

import re
from dataclasses import dataclass

# A "phrase", or a bare token; a leading - excludes either.
TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# What FTS5 and the PostgreSQL parsers treat as a word character: letters,
# digits and underscores (unicode61's categories L*, N*; "_" joins nothing in
# either, so it splits words here too).
WORD = re.compile(r"[^\W_]+")

MAX_TERMS = 20
# Characters in a search line: no one types more, and parsing and matching
# cost grows with it (the search boxes say so with maxlength).
MAX_LENGTH = 500


class BadQuery(ValueError):
    """A line that cannot be searched; the message says what to change."""


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[tuple[str, ...], ...] = ()  # each a word or a phrase, as words
    author: str | None = None
    room: str | None = None

    @property
    def is_empty(self):
        return not (self.words or self.phrases)

    def websearch(self):
        """The line for PostgreSQL's websearch_to_tsquery: only words and
        quoted phrases, so its own operators (or, -) mean what they mean here."""
        parts = [*self.words, *(_quoted(p) for p in self.phrases), *("-" + _quoted(e) for e in self.excluded)]
        return " ".join(parts)

    def fts5(self):
        """The FTS5 MATCH expression: every word and phrase, none of the excluded."""
        wanted = " ".join([*(_quoted((w,)) for w in self.words), *(_quoted(p) for p in self.phrases)])
        return wanted + "".join(f" NOT {_quoted(e)}" for e in self.excluded)


def _quoted(words):
    # Words hold no quotes (WORD), so quoting is safe in both languages.
    return '"' + " ".join(words) + '"'


def parse(line, author=None, room=None):
    """Parse a search line; `author` and `room` are the form's filter controls.

    A `from:`/`in:` in the line and the control must agree when both are
    given (both are applied). Raises BadQuery with a sentence for the reader.
    """
    if len(line or "") > MAX_LENGTH:
        raise BadQuery(f"Search for at most {MAX_LENGTH} characters at a time (this line has {len(line)}).")
    words, phrases, excluded = [], [], []
    filters = {"author": (author or "").strip() or None, "room": (room or "").strip() or None}
    for match in TOKEN.finditer(line or ""):
        minus, phrase, bare = match.groups()
        if phrase is not None:
            parts = tuple(w.lower() for w in WORD.findall(phrase))
            if parts:
                (excluded if minus else phrases).append(parts)
            continue
        for prefix, name in (("from:", "author"), ("in:", "room")):
            if bare.lower().startswith(prefix) and len(bare) > len(prefix):
                value = bare[len(prefix) :].lstrip("@#")
                if filters[name] is not None and filters[name].lower() != value.lower():
                    raise BadQuery(f"Search {prefix}{filters[name]} or {prefix}{value}, not both at once.")
                filters[name] = value
                break
        else:
            negative = bare.startswith("-") and len(bare) > 1
            parts = tuple(w.lower() for w in WORD.findall(bare[1:] if negative else bare))
            if negative and parts:
                excluded.append(parts)
            elif len(parts) == 1:
                words.append(parts[0])
            elif parts:  # "don't", "v2.1": the words must follow each other, as both databases read them
                phrases.append(parts)
    if len(words) + len(phrases) + len(excluded) > MAX_TERMS:
        raise BadQuery(f"Search for at most {MAX_TERMS} words and phrases at a time.")
    query = Query(
        tuple(dict.fromkeys(words)),
        tuple(dict.fromkeys(phrases)),
        tuple(dict.fromkeys(excluded)),
        filters["author"],
        filters["room"],
    )
    if query.is_empty and excluded:
        raise BadQuery("Add a word to look for: a search cannot be only -excluded words.")
    return query
