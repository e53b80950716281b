"""Slack's markup to the chat's and back (transfer/slack_text.py)."""

import pytest

from transfer.slack_text import SlackToChat, to_slack

PEOPLE = {"U1": (1, "alice"), "U2": (2, "bob")}
convert = SlackToChat(PEOPLE.get, {"C1": "general"}.get).convert


@pytest.mark.parametrize(
    ("slack", "chat"),
    [
        ("hi <@U1>!", "hi @alice!"),
        ("x<@U2> y", "x @bob y"),  # after a letter it would not be a mention
        ("<@U9|ghost> left", "@ghost left"),
        ("in <#C1|general> and <#C9|archived-one>", "in #general and #archived-one"),
        ("<!here> <!channel> <!everyone> <!subteam^S1|@devs>", "@here @channel @everyone @devs"),
        ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"),
        ("see <https://example.com/a?b=1&amp;c=2|the docs>", "see the docs (https://example.com/a?b=1&c=2)"),
        ("<https://example.com> <https://example.com|example.com>", "https://example.com https://example.com"),
        ("<mailto:a@b.co|a@b.co>", "a@b.co"),
        ("1 &lt; 2 &amp;&amp; 3 &gt; 2, &amp;lt; stays", "1 < 2 && 3 > 2, &lt; stays"),
        ("*bold* _italic_ ~struck~", "**bold** _italic_ ~~struck~~"),
        ("*see <https://x.com|here>*", "**see here (https://x.com)**"),
        (
            "`*not bold*` ```\n*not bold*\n``` https://x.com/*a*/b",
            "`*not bold*` ```\n*not bold*\n``` https://x.com/*a*/b",
        ),
        ("2*3*4 and a * b", "2*3*4 and a * b"),
    ],
)
def test_slack_markup_becomes_the_chats(slack, chat):
    assert convert(slack)[0] == chat


def test_mentions_are_the_people_named():
    assert convert("<@U1> and <@U2|bob> and <@U9>")[1] == {1, 2}


@pytest.mark.parametrize(
    "chat",
    [
        "**bold** and _em_ and ~~gone~~ and `**code**` a < b & c > d",
        "hi @alice! and @bob. @carol",
        "https://x.com/*a*/b?q=1&r=2",
        "a label (https://example.com/docs)",
        "```\n<@U1> *x*\n```",
    ],
)
def test_what_the_chat_writes_comes_back_the_same(chat):
    assert convert(to_slack(chat, {"alice": "U1", "bob": "U2"}))[0] == chat


def test_emphasis_slack_has_no_mark_for_comes_back_as_its_twin():
    # Slack's *x* is bold: the chat's *em* goes out as _em_, __strong__ as *strong*.
    assert to_slack("*em* __strong__", {}) == "_em_ *strong*"
    assert convert(to_slack("*em* __strong__", {}))[0] == "_em_ **strong**"


def test_a_mention_goes_out_as_the_id_of_the_person_it_named():
    assert to_slack("@Bob, ask @alice. Not me@alice or `@alice`", {"alice": "U1", "bob": "U2"}) == (
        "<@U2>, ask <@U1>. Not me@alice or `@alice`"
    )
