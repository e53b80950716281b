"""Message text to safe HTML: a small dialect of Markdown, then an allow-list.

markdown-it-py parses the text with raw HTML off and only these rules on:

    *em* _em_, **strong** __strong__, ~~strikethrough~~  -> <em>, <strong>, <s>
    `code`                                             -> <code>   (nothing formatted inside)
    ```fenced block``` (one line, or fences on lines)  -> <pre><code>   (nothing formatted inside)
    > quote, - / * / + bullets, 1. numbered items       -> <blockquote>, <ul>/<ol start> <li>
    a line break                                       -> a newline (the body is pre-wrap)
    a blank line                                       -> <p>s (a message of one paragraph has none)
    http(s)://…  (linkify-it-py)                        -> <a href rel="noopener noreferrer nofollow" target="_blank">
    @username    (members only)                         -> <span class="mention" data-user-id="<pk>">
    \\* and the like                                   -> the character itself

Everything else stays text, escaped: headings, tables, rules, images, raw
HTML, entities (`&lt;` shows as typed) and `[text](url)` links (a link's
text is always its URL, so nobody can disguise where it goes). Only http and
https URLs become links; e-mail addresses and schemeless "example.com" stay
text. A word after an opening fence is shown as the first line of the block:
nothing is highlighted, and text a person typed never disappears.

nh3 (ammonia) then cleans the result to exactly the tags, attributes and
values the renderer makes, so a mistake in a rule cannot become markup; quotes
in text come out as &quot; and &#x27;, as Django's escape() writes them.

Emoji shortcodes (`:tada:`, rooms/shortcodes.py) become their emoji when a
message is saved (with_emoji): the model layer stores the emoji, so every
way a message comes in (the page, bots, uploads' captions, edits) gets the
same text. The same parser decides where: code and links keep what was
typed.

Mentions are a rule of the same parser, so code spans and links keep them
out, and the model layer (Message.refresh_mentions, through mention_candidates
and mentioned) and the page always agree on who was named. A name matches its
username exactly or, when no username matches exactly, the one username that
differs only in case (@Bob names bob); the text keeps the case it was typed in.
"""

import functools
import re
from collections.abc import Iterable, Mapping

import nh3
from django.utils.safestring import SafeString, mark_safe
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block.blockquote import blockquote
from markdown_it.rules_block.fence import make_fence_rule

from . import shortcodes

LINK_REL = "noopener noreferrer nofollow"

# Django usernames are [\w.@+-]; a name after one of those characters is part
# of a word or an address (bob@example.com mentions nobody).
NAME = re.compile(r"[\w.@+-]+")
# Sentence punctuation after a name, or a URL (as GitHub has it), is not part of it.
TRAILING = ".,:;!?'\"-+@"
URL_TRAILING = ".,:;!?'\"*_~"
# What linkify-it makes an address of whatever follows.
SCHEME_END = re.compile(r"(?i)https?://\Z")
# ```code``` at the start of a line (what chat users type for a block); the
# closing run is exactly as long as the opening one.
ONE_LINE_FENCE = re.compile(r"(`{3,})(?!`)(.*?[^`])\1(?!`)(.*)")
# A run of text in the sanitizer's output, at the start or after a tag: no
# attribute value it writes holds a < or > (an href is percent-encoded, the
# others are numbers or fixed).
TEXT_RUN = re.compile(r"(?<![^>])[^<]+")


def render(text: str, mentions: Mapping[str, int] | None = None, names: Mapping[str, str] | None = None) -> SafeString:
    """`text` as safe HTML; `mentions` maps the usernames that count as
    mentions (members of the room) to their user pks, `names` those of them
    whose display name differs to it (the mention's title: `@alice` stays
    the text, as typed)."""
    names = {username: name for username, name in (names or {}).items() if name != username}
    return mark_safe(_html(text, frozenset((mentions or {}).items()), frozenset(names.items())))


# Each page load renders the room's latest messages again, for every person
# who opens it: the same text and mentions always make the same HTML, so a
# process parses a recent message once (a short one takes tenths of a
# millisecond, a long one milliseconds).
@functools.lru_cache(maxsize=1024)
def _html(text, mentions, names=frozenset()):
    html = SANITIZER.clean(MARKDOWN.render(text, {"mentions": dict(mentions), "names": dict(names)}))
    return TEXT_RUN.sub(_escape_quotes, html)


def _escape_quotes(text_run):
    """Quotes in text written as Django's escape() writes them, like all other
    text on the page (nh3 writes them bare, which is as safe in text)."""
    return text_run.group().replace('"', "&quot;").replace("'", "&#x27;")


def plain_text(text: str) -> str:
    """`text` as it reads once formatted, on one line: the words without the
    marks that format them (`**`, backticks, `>`, `- `), a numbered item's
    number kept, a code block's text in line with the rest. For excerpts
    (search results), which show a message's words, not its markup."""
    words = []
    for token in MARKDOWN.parse(text, {"mentions": {}}):
        if token.type == "list_item_open" and token.info:
            words.append(f"{token.info}{token.markup}")
        elif token.type == "fence":
            words.extend([token.info, " ", token.content])
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                words.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                words.append(" ")
        words.append(" ")  # blocks, and inline runs that end one, read as separate words
    return " ".join("".join(words).split())


def mention_candidates(text: str) -> set[str]:
    """Every name an @mention in `text` could be (`@bob.` could be "bob." or
    "bob"), as typed: what the model layer looks up, ignoring case."""
    if "@" not in text:  # most messages: no mention, no need to parse (posting parses up to three times)
        return set()
    env = {"mentions": None, "candidates": set()}
    MARKDOWN.parse(text, env)
    return env["candidates"]


def mentioned(text: str, usernames: Iterable[str]) -> set[str]:
    """The usernames among `usernames` that `text` mentions, exactly as
    render() resolves them."""
    usernames = list(usernames)
    if not usernames or "@" not in text:
        return set()
    env = {"mentions": dict.fromkeys(usernames, 0)}
    return {
        child.meta["username"]
        for token in MARKDOWN.parse(text, env)
        if token.children
        for child in token.children
        if child.type == "mention"
    }


def with_emoji(text: str) -> str:
    """`text` as a message is saved: each `:shortcode:` that names an emoji
    becomes the emoji, except in code spans, fenced blocks and links, which
    show what was typed, and right beside a link (the emoji would join its
    address, keep an address after it from being linked, or after
    "http://" make one)."""
    found = []
    if ":" in text:  # most messages: no colon, nothing to look up
        found = [(match, shortcodes.emoji_for(match.group(1))) for match in shortcodes.SHORTCODE.finditer(text)]
        found = [(match, emoji) for match, emoji in found if emoji is not None]
    if not found:
        return text
    prose = _prose_places(text, {match.group() for match, _ in found})
    pieces, end = [], 0
    for match, emoji in found:
        if match.start() in prose:
            pieces += [text[end : match.start()], emoji]
            end = match.end()
    pieces.append(text[end:])
    return "".join(pieces)


def _prose_places(text, wanted):
    """Where in `text` the strings of `wanted` stand in prose, as the parser
    reads it. Each token holds its part of the text as typed, in order, so
    the n-th time a string shows in the tokens is the n-th time it is in
    the text; a string the parser rewrote somewhere (an escape: `\\:` is
    `:`) shows a different number of times and is left alone."""
    seen = {shortcode: [] for shortcode in wanted}  # shortcode -> in prose?, in order
    for token in MARKDOWN.parse(text, {"mentions": {}}):
        if token.type != "inline":
            for shortcode in wanted:  # a fence: its info line, then its code
                seen[shortcode] += [False] * (token.info.count(shortcode) + token.content.count(shortcode))
            continue
        children, in_link = token.children, 0
        for n, child in enumerate(children):
            if child.type in ("link_open", "link_close"):
                in_link += 1 if child.type == "link_open" else -1
                continue
            after_link = n > 0 and children[n - 1].type == "link_close"
            before_link = n + 1 < len(children) and children[n + 1].type == "link_open"
            for shortcode in wanted:
                for at in _occurrences(child.content, shortcode):
                    # Punctuation a link leaves out (_Links) would join it again before an emoji.
                    touching = (
                        (after_link and not child.content[:at].strip(URL_TRAILING + ")"))
                        or (before_link and at + len(shortcode) == len(child.content))
                        or (SCHEME_END.search(child.content, 0, at))
                    )  # "http://🎉" is an address
                    seen[shortcode].append(child.type == "text" and not in_link and not touching)
    places = set()
    for shortcode, in_prose in seen.items():
        typed = _occurrences(text, shortcode)
        if len(typed) == len(in_prose):
            places.update(at for at, prose in zip(typed, in_prose, strict=True) if prose)
    return places


def _occurrences(text, part):
    """Where `part` starts in `text`, left to right, without overlaps."""
    found, at = [], text.find(part)
    while at != -1:
        found.append(at)
        at = text.find(part, at + len(part))
    return found


# --- the parser's rules ------------------------------------------------------


def _mention(state, silent):
    """@name at state.pos: a mention token when a prefix of the name is a
    member (env["mentions"]); with no members given (env["mentions"] None),
    records the candidates and leaves the text alone."""
    src, pos = state.src, state.pos
    if src[pos] != "@" or (pos and NAME.match(src[pos - 1])):
        return False
    match = NAME.match(src, pos + 1)
    if not match:
        return False
    members = state.env["mentions"]
    if members is None:
        state.env["candidates"].update(_prefixes(match.group()))
        return False
    name = next((prefix for prefix in _prefixes(match.group()) if _username(prefix, members) is not None), None)
    if name is None:
        return False
    if not silent:
        token = state.push("mention", "span", 0)
        token.content = "@" + name
        token.meta = {"username": _username(name, members)}
    state.pos += 1 + len(name)
    return True


def _shortcode(state, silent):
    """An emoji's `:name:` at state.pos is one word of text: emphasis cannot
    take its underscores (":St._Kitts_&_Nevis:"), so with_emoji finds it whole."""
    match = shortcodes.SHORTCODE.match(state.src, state.pos)
    if not match or shortcodes.emoji_for(match.group(1)) is None:
        return False
    if not silent:
        state.pending += match.group()
    state.pos = match.end()
    return True


def _one_line_fence(state, start_line, end_line, silent):
    """```code``` at the start of a line: a block of what is between the
    fences; the rest of the line (if any) is a paragraph of its own."""
    if state.is_code_block(start_line):
        return False
    start = state.bMarks[start_line] + state.tShift[start_line]
    match = ONE_LINE_FENCE.fullmatch(state.src, start, state.eMarks[start_line])
    if not match:
        return False
    if silent:
        return True
    state.line = start_line + 1
    token = state.push("fence", "code", 0)
    token.content, token.markup, token.map = match.group(2), match.group(1), [start_line, state.line]
    rest = match.group(3).strip()
    if rest:
        state.push("paragraph_open", "p", 1).map = [start_line, state.line]
        token = state.push("inline", "", 0)
        token.content, token.map, token.children = rest, [start_line, state.line], []
        state.push("paragraph_close", "p", -1)
    return True


def _quote(state, start_line, end_line, silent):
    """A block quote of the lines that start with ">": markdown would let the
    next line join the quote (lazy continuation), but in a chat the line after
    a quote is the reply to it."""
    end = start_line + 1
    while end < end_line and state.src.startswith(">", state.bMarks[end] + state.tShift[end]):
        end += 1
    # The paragraph rule reads how far it may run from lineMax, not endLine.
    line_max, state.lineMax = state.lineMax, min(state.lineMax, end)
    try:
        return blockquote(state, start_line, end, silent)
    finally:
        state.lineMax = line_max


def _chat_line(state):
    """A message that is one paragraph (most are) is a line of text, as
    before Markdown: no <p> around it."""
    if [token.type for token in state.tokens] == ["paragraph_open", "inline", "paragraph_close"]:
        state.tokens[0].hidden = state.tokens[2].hidden = True


def _prefixes(name):
    """`name` and what is left of it as trailing punctuation comes off."""
    while name:
        yield name
        if name[-1] not in TRAILING:
            return
        name = name[:-1]


def _username(name, members):
    """The username among `members` that `name` names: itself, else the only
    one equal to it but for case."""
    if name in members:
        return name
    folded = name.lower()
    matches = [username for username in members if username.lower() == folded]
    return matches[0] if len(matches) == 1 else None


# --- rendering ---------------------------------------------------------------


class _ChatRenderer(RendererHTML):
    """HTML for a body styled `white-space: pre-wrap`, so that spaces typed
    in a line show. A line break is a newline. Between blocks there is none
    (it would show as an empty line), except at the end of a paragraph's text,
    where it shows nothing but keeps the body's textContent (a notification's
    excerpt) in lines. Links and mentions carry their fixed attributes."""

    def renderToken(self, tokens, idx, options, env):
        html = super().renderToken(tokens, idx, options, env).strip("\n")
        # A hidden paragraph (a tight list item's, a lone one) has no <p>: its
        # text still ends, unless nothing comes after it.
        if tokens[idx].type == "paragraph_close" and idx + 1 < len(tokens):
            return "\n" + html
        return html

    def fence(self, tokens, idx, options, env):
        token = tokens[idx]
        # What follows the opening fence (a language name, or "```code" with
        # the closing fence on a later line) is text the person typed.
        lines = [token.info] if token.info.strip() else []
        code = "\n".join([*lines, token.content]).strip("\n")
        return f"<pre><code>{escapeHtml(code)}</code></pre>"

    def link_open(self, tokens, idx, options, env):
        href = escapeHtml(tokens[idx].attrs["href"])
        return f'<a href="{href}" rel="{LINK_REL}" target="_blank">'

    def mention(self, tokens, idx, options, env):
        token = tokens[idx]
        username = token.meta["username"]
        pk = int(env["mentions"][username])
        name = env.get("names", {}).get(username)
        title = f' title="{escapeHtml(name)}"' if name else ""
        return f'<span class="mention" data-user-id="{pk}"{title}>{escapeHtml(token.content)}</span>'

    def softbreak(self, tokens, idx, options, env):
        return "\n"

    hardbreak = softbreak


def _markdown():
    md = MarkdownIt("zero", {"linkify": True}, renderer_cls=_ChatRenderer)
    # Besides paragraphs: lists (fences and quotes are this module's, below)
    # and the inline rules of the table above; "zero" starts with none.
    md.enable(["list", "newline", "escape", "backticks", "strikethrough", "emphasis", "linkify"])
    md.block.ruler.before("paragraph", "fence_one_line", _one_line_fence, {"alt": ["paragraph", "blockquote", "list"]})
    md.block.ruler.before(
        "paragraph", "fence", make_fence_rule(markers=("`",)), {"alt": ["paragraph", "blockquote", "list"]}
    )
    md.block.ruler.before("list", "blockquote", _quote, {"alt": ["paragraph", "blockquote", "list"]})
    # The inline linkify rule finds every http(s):// URL as the text is read;
    # the core rule (a second pass for schemeless links) has nothing to add.
    md.core.ruler.disable("linkify")
    md.core.ruler.push("chat_line", _chat_line)
    md.inline.ruler.after("linkify", "mention", _mention)
    md.inline.ruler.after("linkify", "shortcode", _shortcode)
    md.inline.add_terminator_char("@")
    # http and https only: no e-mail addresses, no "example.com", no ftp: or //x.
    md.linkify = _Links(
        {"ftp:": None, "//": None, "mailto:": None}, {"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False}
    )
    # A link shows exactly what was typed (markdown-it would decode %xx and punycode).
    md.normalizeLinkText = lambda url: url
    md.validateLink = _is_link
    return md


class _Links(LinkifyIt):
    """linkify-it, leaving sentence punctuation after a URL outside it:
    "see https://x.test/a?" links https://x.test/a."""

    def normalize(self, match):
        super().normalize(match)
        url = match.url
        while url and (url[-1] in URL_TRAILING or (url[-1] == ")" and url.count(")") > url.count("("))):
            url = url[:-1]
        match.last_index -= len(match.url) - len(url)
        match.raw = match.text = match.url = url


def _is_link(href):
    """Whether the sanitizer keeps `href` (an http or https URL whose host a
    browser would accept: "http://¸" has none). Asked before a link is made,
    so a URL it would strip stays text instead of becoming a link to nowhere."""
    return "href=" in HREF_CHECK.clean(f'<a href="{escapeHtml(href)}"></a>')


def _digits(tag, attribute, value):
    """The only free attribute values are numbers (a user pk, a list's start)."""
    if (tag, attribute) in (("span", "data-user-id"), ("ol", "start")):
        return value if value.isdigit() else None
    return value


MARKDOWN = _markdown()
# Exactly what _ChatRenderer makes; anything else is dropped (its text kept).
SANITIZER = nh3.Cleaner(
    tags={"p", "em", "strong", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span"},
    attributes={"a": {"href"}, "ol": {"start"}, "span": {"data-user-id", "title"}},
    tag_attribute_values={"a": {"rel": {LINK_REL}, "target": {"_blank"}}, "span": {"class": {"mention"}}},
    attribute_filter=_digits,
    url_schemes={"http", "https"},
    link_rel=None,
    strip_comments=True,
)
# What SANITIZER makes of an href, on its own (see _is_link).
HREF_CHECK = nh3.Cleaner(tags={"a"}, attributes={"a": {"href"}}, url_schemes={"http", "https"}, link_rel=None)
