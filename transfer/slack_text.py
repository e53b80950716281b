"""Message text between Slack's markup ("mrkdwn", as its exports hold it)
and the chat's (rooms/formatting.py), both ways.

Slack escapes &, < and > in text as &amp; &lt; &gt;, so every <...> in it
is one of its tokens:

    <@U123> <@U123|alice>       a person        -> @username (theirs here)
    <#C123> <#C123|general>     a channel       -> #name (the room's name here)
    <!here> <!channel> <!everyone>              -> @here @channel @everyone
    <!subteam^S1|@devs>         a user group    -> @devs
    <!date^…|fallback>          a date          -> the fallback text
    <https://x> <https://x|x>   a link          -> https://x
    <https://x|label>           a labelled link -> label (https://x)
    <mailto:a@b.c|a@b.c>                        -> a@b.c

A labelled link keeps its label and its address: the chat shows a link's
address as its text (nobody can disguise where it goes), so `[label](url)`
would show as typed. Outside code, Slack's *bold* and ~strike~ become
**bold** and ~~strike~~; _italic_, `code`, ```blocks``` and > quotes are
the same in both. Inside code only the tokens and escapes are read.

The way out (to_slack) is the inverse for what the chat writes: &, <, >
escaped, a mention of someone the message mentions as <@their id>,
**bold** and __bold__ as *bold*, ~~strike~~ as ~strike~, and *em* as _em_
(Slack's *x* is bold). So a text the chat wrote comes back the same through
an export and an import, but for emphasis written *x* or __x__, which
comes back as _x_ or **x**: shown the same.
"""

import re

from rooms.formatting import TRAILING

# What emphasis is never read in: code as both markups write it (a fenced
# block over lines, or `inline` code on one line), and a bare address.
LITERAL = re.compile(r"```.*?```|`[^`\n]+`|https?://[^\s<>]+", re.DOTALL)
TOKEN = re.compile(r"<([^<>\n]*)>")
ENTITY = re.compile(r"&(amp|lt|gt);")
ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
BROADCASTS = {"here", "channel", "everyone"}
# A character of a name (rooms/formatting.py NAME): a mention right after
# one would be read as part of a word or an address.
NAME_CHARACTER = re.compile(r"[\w.@+-]")
MENTION = re.compile(r"(?<![\w.@+-])@([\w.@+-]+)")

# Slack's emphasis, the chat's emphasis: a pair of marks around text that
# starts and ends with a non-space, not inside a word.
SLACK_BOLD = re.compile(r"(?<![\w*\\])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
SLACK_STRIKE = re.compile(r"(?<![\w~\\])~(?=\S)([^~\n]*?\S)~(?![\w~])")
CHAT_STRONG = re.compile(r"(?<![\w*\\])(\*\*|__)(?=\S)(.+?)(?<=\S)\1(?![\w*])")
CHAT_STRIKE = re.compile(r"(?<![\w~\\])~~(?=\S)(.+?)(?<=\S)~~(?![\w~])")
CHAT_EM = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\w*])")
# Stand-ins for converted tokens while emphasis is converted around them:
# characters of a private use plane (a text that holds any is converted
# without emphasis).
STAND_IN = 0xF0000
STAND_INS = re.compile(f"[{chr(STAND_IN)}-{chr(STAND_IN + 0xFFFD)}]")
MARK = "\uffff"  # a noncharacter: holds **'s place while *em* is converted


def _pieces(text):
    """(is literal, part) for the parts of `text`, in order."""
    at = 0
    for match in LITERAL.finditer(text):
        if match.start() > at:
            yield False, text[at : match.start()]
        yield True, match.group()
        at = match.end()
    if at < len(text):
        yield False, text[at:]


def _unescaped(text):
    return ENTITY.sub(lambda match: ENTITIES[match.group(1)], text)


class SlackToChat:
    """Converts Slack texts with `person(slack id)` -> (pk, username) or
    None, and `room_name(slack id)` -> the room's name or None."""

    def __init__(self, person, room_name):
        self.person, self.room_name = person, room_name

    def convert(self, text):
        """(the chat's text, {pk of each person it mentions})."""
        mentioned = set()
        if not any(mark in text for mark in "<&*~"):
            return text, mentioned
        if STAND_INS.search(text) or text.count("<") >= 0xFFFD:
            # No stand-ins to spare: the tokens and escapes only.
            pieces, at = [], 0
            for match in TOKEN.finditer(text):
                pieces += [_unescaped(text[at : match.start()]), self._token(match, mentioned)]
                at = match.end()
            return "".join(pieces) + _unescaped(text[at:]), mentioned
        tokens = []

        def stand_in(match):
            tokens.append(self._token(match, mentioned))
            return chr(STAND_IN + len(tokens) - 1)

        text = TOKEN.sub(stand_in, text)
        text = "".join(
            part if is_literal else SLACK_STRIKE.sub(r"~~\1~~", SLACK_BOLD.sub(r"**\1**", part))
            for is_literal, part in _pieces(text)
        )
        return STAND_INS.sub(lambda match: tokens[ord(match.group()) - STAND_IN], _unescaped(text)), mentioned

    def _token(self, match, mentioned):
        """What one <...> of Slack's becomes, as final text."""
        target, _, label = match.group(1).partition("|")
        target, label = _unescaped(target), _unescaped(label)
        if target.startswith("@"):
            found = self.person(target[1:])
            if found is None:
                return "@" + (label or target[1:])
            mentioned.add(found[0])
            before = match.string[match.start() - 1] if match.start() else " "
            return (" @" if NAME_CHARACTER.match(before) else "@") + found[1]
        if target.startswith("#"):
            return "#" + (self.room_name(target[1:]) or label or target[1:])
        if target.startswith("!"):
            command = target[1:].split("^", 1)[0]
            return "@" + command if command in BROADCASTS else label
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        if label and label not in (target, target.split("://", 1)[-1]):
            return f"{label} ({target})"
        return target


def to_slack(text, mentioned_ids):
    """The chat's `text` as Slack writes it; `mentioned_ids` maps the
    usernames the message mentions to their ids in the export."""
    parts = []
    for is_code, part in _pieces(text):
        part = part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if not is_code:
            part = CHAT_STRIKE.sub(r"~\1~", part)
            if MARK not in part:
                part = CHAT_STRONG.sub(lambda match: f"{MARK}{match.group(2)}{MARK}", part)
                part = CHAT_EM.sub(r"_\1_", part).replace(MARK, "*")
            if mentioned_ids:
                part = MENTION.sub(lambda match: _mention_token(match, mentioned_ids), part)
        parts.append(part)
    return "".join(parts)


def _mention_token(match, mentioned_ids):
    """<@id> for an @name the message mentions (as rooms/formatting.py reads
    one: the name, or what is left as trailing punctuation comes off, in
    any case), else the text as it was."""
    name = match.group(1)
    folded = {username.casefold(): slack_id for username, slack_id in mentioned_ids.items()}
    while name:
        slack_id = mentioned_ids.get(name) or folded.get(name.casefold())
        if slack_id is not None:
            return f"<@{slack_id}>" + match.group(1)[len(name) :]
        if name[-1] not in TRAILING:
            break
        name = name[:-1]
    return match.group()
