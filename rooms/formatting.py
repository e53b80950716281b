"""Message text to safe HTML, safe by construction.

The whole text is escaped FIRST; every rule then works on escaped text and
only ever wraps pieces of it in tags from a fixed allow-list:

    ```fenced block```  -> <pre><code>…</code></pre>   (nothing formatted inside)
    `code`              -> <code>…</code>              (nothing formatted inside)
    http(s)://…         -> <a href="…" rel="noopener noreferrer nofollow" target="_blank">…</a>
    @username           -> <span class="mention" data-user-id="<pk>">@username</span>  (members only)
    **strong**, *em*    -> <strong>…</strong>, <em>…</em>

Nothing from the input ever becomes a tag or an attribute name, and the only
input that reaches an attribute value is an escaped http(s) URL. Django's
escape() turns exactly & < > " ' into entities, none of which contains a
character any rule looks for (` * @ or a URL character other than &amp;),
so the rules cannot cut an entity in half. Newlines stay as they are: the
message body is `white-space: pre-wrap`.

Mentions are parsed by the same tokenizer that renders them, so the model
layer (Message.refresh_mentions) and the page always agree on who was named.
A name matches its username exactly or, when no username matches exactly,
the one username that differs only in case (@Bob names bob); the text keeps
the case it was typed in.
"""

import re
from collections.abc import Iterable, Mapping

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

LINK_REL = "noopener noreferrer nofollow"

# ```…``` may span lines; a newline right after the opening fence and right
# before the closing one belongs to the fence, not to the code.
FENCE = re.compile(r"```\n?(.+?)\n?```", re.DOTALL)
CODE = re.compile(r"`([^`\n]+)`")
# On escaped text: a URL runs until whitespace, an entity other than &amp;
# (that is, an escaped < > " '), or a * (so *http://x* is emphasis).
URL = r"(?i:https?)://(?:[^\s&*]|&amp;)+"
# Django usernames are [\w.@+-]; the lookbehind keeps bob@example.com from
# mentioning "example.com".
MENTION = r"(?<![\w.@+-])@[\w.@+-]+"
INLINE = re.compile(rf"(?P<url>{URL})|(?P<mention>{MENTION})|(?P<stars>\*\*|\*)")
# Sentence punctuation after a URL or a name is not part of it.
TRAILING = ".,:;!?'\"-+@"


def render(text: str, mentions: Mapping[str, int] | None = None) -> SafeString:
    """`text` as safe HTML; `mentions` maps the usernames that count as
    mentions (members of the room) to their user pks."""
    mentions = mentions or {}
    return mark_safe("".join(_render(token, mentions) for token in _tokens(escape(text), mentions)))


def mention_candidates(text: str) -> set[str]:
    """Every name an @mention in `text` could be (`@bob.` could be "bob." or
    "bob"), as typed: what the model layer looks up, ignoring case."""
    names = set()
    for kind, value in _tokens(escape(text), None):
        if kind == "name":
            names.update(_prefixes(value[1:]))
    return names


def mentioned(text: str, usernames: Iterable[str]) -> set[str]:
    """The usernames among `usernames` that `text` mentions, exactly as
    render() resolves them."""
    known = dict.fromkeys(usernames, 0)
    return {_username(value[1:], known) for kind, value in _tokens(escape(text), known) if kind == "mention"}


# Tokens: (kind, escaped value). Kinds: text, block, code, url, mention,
# name (an @name before resolution), open/close em/strong.


def _tokens(escaped, mentions):
    return _split(escaped, FENCE, "block", _outside_fences, mentions)


def _outside_fences(escaped, mentions):
    return _split(escaped, CODE, "code", _inline, mentions)


def _split(escaped, pattern, kind, between, mentions):
    """`pattern`'s matches as `kind` tokens (kept verbatim), `between` on the rest."""
    position = 0
    for match in pattern.finditer(escaped):
        yield from between(escaped[position : match.start()], mentions)
        yield kind, match.group(1)
        position = match.end()
    yield from between(escaped[position:], mentions)


def _inline(escaped, mentions):
    """URLs and mentions are atoms; * and ** pair up around them."""
    tokens = []
    position = 0
    for match in INLINE.finditer(escaped):
        tokens.append(["text", escaped[position : match.start()]])
        value = match.group()
        position = match.end()
        if match.lastgroup == "url":
            url = _trim_url(value)
            if url.split("://", 1)[1].strip(TRAILING + "/()"):
                tokens.append(["url", url])
                position = match.start() + len(url)
            else:
                tokens.append(["text", value])
        elif match.lastgroup == "mention":
            name = _resolve(value[1:], mentions)
            if mentions is None:
                tokens.append(["name", value])
            elif name is None:
                tokens.append(["text", value])
            else:
                tokens.append(["mention", "@" + name])
                position = match.start() + 1 + len(name)
        else:
            tokens.append(["stars", value])
    tokens.append(["text", escaped[position:]])
    _pair_emphasis(tokens)
    for kind, value in tokens:
        if kind == "stars":
            kind = "text"
        if value:
            yield kind, value


def _pair_emphasis(tokens):
    """Turn matching * / ** tokens into open/close pairs, in place. A
    delimiter opens before a non-space and closes after one; closing an outer
    pair leaves the unclosed ones inside it literal, so tags always nest."""
    stack = []  # indexes of open delimiters
    for index, (kind, value) in enumerate(tokens):
        if kind != "stars":
            continue
        before = _neighbour(tokens, index, -1)
        after = _neighbour(tokens, index, +1)
        opener = next((i for i in reversed(range(len(stack))) if tokens[stack[i]][1] == value), None)
        if opener is not None and before and not before.isspace() and _has_content(tokens, stack[opener], index):
            for literal in stack[opener + 1 :]:
                tokens[literal][0] = "stars"
            tag = "strong" if value == "**" else "em"
            tokens[stack[opener]] = ["open", tag]
            tokens[index] = ["close", tag]
            del stack[opener:]
        elif after and not after.isspace():
            stack.append(index)


def _neighbour(tokens, index, step):
    """The character next to tokens[index] on one side ('' at the edge)."""
    index += step
    while 0 <= index < len(tokens):
        kind, value = tokens[index]
        if kind in ("open", "close"):
            return "x"
        if value:
            return value[-1] if step < 0 else value[0]
        index += step
    return ""


def _has_content(tokens, start, end):
    """Whether anything but empty text lies between tokens start and end: `****` is no emphasis."""
    return any(kind != "text" or value for kind, value in tokens[start + 1 : end])


def _trim_url(url):
    while url:
        # An entity first: taking its ";" for punctuation would cut it in half.
        if url.endswith("&amp;"):
            url = url[: -len("&amp;")]
        elif url[-1] in TRAILING:
            url = url[:-1]
        elif url[-1] == ")" and url.count(")") > url.count("("):
            url = url[:-1]
        else:
            break
    return url


def _prefixes(name):
    """`name` and what is left of it as trailing punctuation comes off."""
    while name:
        yield name
        if name[-1] not in TRAILING:
            return
        name = name[:-1]


def _resolve(name, mentions):
    """The longest of `name`'s prefixes that names a known username, or None."""
    if mentions is None:
        return None
    return next((prefix for prefix in _prefixes(name) if _username(prefix, mentions) is not None), None)


def _username(name, mentions):
    """The username among `mentions` that `name` names: itself, else the only
    one equal to it but for case."""
    if name in mentions:
        return name
    folded = name.lower()
    matches = [username for username in mentions if username.lower() == folded]
    return matches[0] if len(matches) == 1 else None


def _render(token, mentions):
    kind, value = token
    if kind in ("text", "name"):
        return value
    if kind == "block":
        return f"<pre><code>{value}</code></pre>"
    if kind == "code":
        return f"<code>{value}</code>"
    if kind == "url":
        return f'<a href="{value}" rel="{LINK_REL}" target="_blank">{value}</a>'
    if kind == "mention":
        return f'<span class="mention" data-user-id="{int(mentions[_username(value[1:], mentions)])}">{value}</span>'
    if kind == "open":
        return f"<{value}>"
    return f"</{value}>"
