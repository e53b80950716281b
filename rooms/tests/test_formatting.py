"""rooms/formatting.py: each rule, the classics of XSS, and properties over
arbitrary text: only allow-listed elements and attributes come out, and the
visible text is the input minus the formatting markers."""

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from rooms import shortcodes
from rooms.formatting import LINK_REL, mention_candidates, mentioned, plain_text, render, with_emoji

MEMBERS = {"bob": 7, "al.ice": 8}


def link(url, text=None):
    return f'<a href="{url}" rel="{LINK_REL}" target="_blank">{text or url}</a>'


def mention(name):
    return f'<span class="mention" data-user-id="{MEMBERS[name]}">@{name}</span>'


# What the renderer makes, and where each element may stand.
BLOCKS = {"p", "pre", "blockquote", "ul", "ol"}
CONTAINERS = {"blockquote", "li"}  # hold blocks


class Page(HTMLParser):
    """What a browser would build from the output, and anything not on the allow-list."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.text, self.elements, self.problems, self.open = [], [], [], []
        self.mentions = []
        self.code, self.links = [], []  # the text shown as code; links' addresses and text
        self.feed(html)
        self.close()
        if self.open:
            self.problems.append(f"unclosed {self.open}")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        parent = self.open[-1] if self.open else None
        if tag == "a":
            self.links.append(attrs.get("href"))
        if tag in ("code", "pre", "em", "strong", "s", "p", "blockquote", "ul", "li"):
            ok = attrs == {}
        elif tag == "ol":
            ok = attrs == {} or (set(attrs) == {"start"} and attrs["start"].isdigit())
        elif tag == "a":
            ok = (
                set(attrs) == {"href", "rel", "target"}
                and re.match(r"(?i)https?://\S", attrs["href"])
                and attrs["rel"] == LINK_REL
                and attrs["target"] == "_blank"
            )
        elif tag == "span":
            ok = (
                set(attrs) == {"class", "data-user-id"}
                and attrs["class"] == "mention"
                and attrs["data-user-id"].isdigit()
            )
            self.mentions.append(attrs.get("data-user-id"))
        else:
            ok = False
        if not ok:
            self.problems.append(f"<{tag} {attrs}>")
        # Blocks stand at the top or in a quote or a list item; items only in
        # lists; a mention, a link or code holds text only.
        if tag in BLOCKS and not (parent is None or parent in CONTAINERS):
            self.problems.append(f"<{tag}> inside <{parent}>")
        if (tag == "li") != (parent in ("ul", "ol")):
            self.problems.append(f"<{tag}> inside <{parent}>")
        if parent in ("a", "span", "code"):
            self.problems.append(f"<{tag}> inside <{parent}>")
        self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.problems.append(f"self-closing <{tag}>")

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"misnested </{tag}>")

    def handle_data(self, data):
        if data.strip() and self.open and self.open[-1] in ("ul", "ol"):
            self.problems.append(f"text {data!r} in <{self.open[-1]}>")
        self.text.append(data)
        if "code" in self.open:
            self.code.append(data)
        if "a" in self.open:
            self.links.append(data)

    def handle_comment(self, data):
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl):
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction {data!r}")

    def unknown_decl(self, data):
        self.problems.append(f"unknown declaration {data!r}")

    @property
    def visible(self):
        return "".join(self.text)


def without_markers(text):
    """What the text says once Markdown's own markers are gone, for comparing
    what was typed with what the page shows. The same function runs on both
    sides, so a marker that stayed text counts the same as one consumed.

    Markdown may consume: * _ ~ ` (emphasis, strikethrough, code, fences),
    > (quotes), \\ (escapes), - + and a number ending in . or ) (list items;
    the number becomes <ol start>), and whitespace (paragraphs reflow, lines
    lose leading and trailing spaces, blank lines become paragraphs). Those
    go wherever they are: whether one is a marker depends on what is around it
    (`-` before a space is a bullet, unless inside ```-```), which a
    comparison of two strings cannot tell. Markdown-it, like HTML, turns NUL
    into U+FFFD. Everything else (letters, other digits and punctuation, < & #
    [ ] ( ) and so on) must come through, in order."""
    text = re.sub(r"[*_~`>\\+-]", "", text.replace("\0", "\ufffd"))
    text = re.sub(r"\d{1,9}[.)]", "", text)
    return re.sub(r"\s", "", text)


# --- each rule ---------------------------------------------------------------


def p(html):
    """A paragraph of several blocks, not the last: its text ends with a
    newline (see rooms/formatting.py). A message of one paragraph is its text."""
    return f"<p>{html}\n</p>"


def items(*htmls):
    return "".join(f"<li>{html}\n</li>" for html in htmls)


def test_plain_text_is_escaped_and_nothing_else():
    assert render("fish & chips <b>not bold</b> \"quoted\" 'single'") == (
        "fish &amp; chips &lt;b&gt;not bold&lt;/b&gt; &quot;quoted&quot; &#x27;single&#x27;"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "https://example.com/a/b?c=1#top",
        "HTTPS://EXAMPLE.COM/",
        "https://example.com/~u/a-b_c.d",
    ],
)
def test_http_and_https_urls_become_links_that_open_safely(url):
    assert render(f"see {url} now") == f"see {link(url)} now"


def test_ampersands_in_a_url_are_escaped_in_href_and_text():
    assert render("https://x.test/?a=1&b=2") == link("https://x.test/?a=1&amp;b=2")


def test_a_link_shows_the_url_as_typed_and_its_href_is_encoded():
    assert render("https://x.test/é%41") == link("https://x.test/%C3%A9%41", "https://x.test/é%41")


@pytest.mark.parametrize(
    ("text", "url", "after"),
    [
        ("https://x.test.", "https://x.test", "."),
        ("https://x.test/a, then", "https://x.test/a", ", then"),
        ("https://x.test/a?!", "https://x.test/a", "?!"),
        ("https://x.test/a:", "https://x.test/a", ":"),
        ("https://x.test/a;", "https://x.test/a", ";"),
        ("https://x.test/a_", "https://x.test/a", "_"),
    ],
)
def test_trailing_punctuation_stays_outside_the_link(text, url, after):
    assert render(text) == link(url) + after


def test_parentheses_around_a_link_stay_outside_but_balanced_ones_inside():
    assert render("(https://x.test/a)") == f"({link('https://x.test/a')})"
    wiki = "https://en.wikipedia.org/wiki/Python_(language)"
    assert render(f"({wiki})") == f"({link(wiki)})"


def test_quotes_and_angle_brackets_end_a_url():
    assert render("<https://x.test/a>") == f"&lt;{link('https://x.test/a')}&gt;"
    assert render('"https://x.test/a"') == f"&quot;{link('https://x.test/a')}&quot;"
    assert render("'https://x.test/a'") == f"&#x27;{link('https://x.test/a')}&#x27;"


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "ftp://example.com",
        "http://",
        "https://.",
        "http://&",
        "www.example.com",
        "//example.com",
        "example.com",
        "bob@example.com",
        "mailto:bob@example.com",
    ],
)
def test_only_http_and_https_make_links(text):
    assert "<a" not in render(text)


def test_inline_code():
    assert render("run `make test` now") == "run <code>make test</code> now"


def test_nothing_is_formatted_inside_inline_code():
    assert render("`*a* **b** https://x.test @bob <i>`", MEMBERS) == (
        "<code>*a* **b** https://x.test @bob &lt;i&gt;</code>"
    )


def test_lone_backtick_stays_literal():
    assert render("it`s") == "it`s"


def test_fenced_block_on_one_line_and_across_lines():
    assert render("```print(1)```") == "<pre><code>print(1)</code></pre>"
    assert render("```print(1)``` is short") == "<pre><code>print(1)</code></pre><p>is short</p>"
    assert render("before\n```\nif a < b:\n    go()\n```\nafter") == (
        p("before") + "<pre><code>if a &lt; b:\n    go()</code></pre><p>after</p>"
    )


def test_a_word_after_the_opening_fence_is_shown_not_lost():
    assert render("```python\nprint(1)\n```") == "<pre><code>python\nprint(1)</code></pre>"
    assert render("```unclosed") == "<pre><code>unclosed</code></pre>"


def test_nothing_is_formatted_inside_a_fenced_block():
    assert render("```\n*a* `b` https://x.test @bob <i>\n```", MEMBERS) == (
        "<pre><code>*a* `b` https://x.test @bob &lt;i&gt;</code></pre>"
    )


def test_emphasis_and_strong():
    assert render("*soft* and **loud**") == "<em>soft</em> and <strong>loud</strong>"
    assert render("_soft_ and __loud__") == "<em>soft</em> and <strong>loud</strong>"
    assert render("**loud and *soft* inside**") == "<strong>loud and <em>soft</em> inside</strong>"


@pytest.mark.parametrize("text", ["2 * 3 * 4", "****", "**", "a* b*", "*unclosed", "snake_case_name", "~one~"])
def test_markers_that_do_not_pair_stay_literal(text):
    assert render(text) == text


def test_emphasis_tags_always_nest():
    assert render("*a **b* c**") == "<em>a <em><em>b</em> c</em></em>"
    assert render("**unclosed*") == "*<em>unclosed</em>"


def test_emphasis_around_links_and_mentions():
    assert render("*https://x.test*") == f"<em>{link('https://x.test')}</em>"
    assert render("**@bob**", MEMBERS) == f"<strong>{mention('bob')}</strong>"


def test_strikethrough():
    assert render("~~gone~~ kept") == "<s>gone</s> kept"
    assert render("~~`code` and *em*~~") == "<s><code>code</code> and <em>em</em></s>"


def test_a_message_of_one_paragraph_is_a_line_of_text():
    assert render("hi") == "hi"
    assert render("hi\n\nthere") == p("hi") + "<p>there</p>"


def test_a_line_break_is_kept_and_a_blank_line_starts_a_paragraph():
    assert render("one\ntwo\r\nthree") == "one\ntwo\nthree"
    assert render("one\n\n\ntwo") == p("one") + "<p>two</p>"


def test_spaces_typed_inside_a_line_are_kept_for_pre_wrap():
    assert render("a    b") == "a    b"


def test_a_quote_is_its_lines_that_start_with_a_marker():
    assert (
        render("> you said\n> this\nmy reply") == "<blockquote>" + p("you said\nthis") + "</blockquote><p>my reply</p>"
    )
    assert render("> > nested") == "<blockquote><blockquote>" + p("nested") + "</blockquote></blockquote>"


def test_bulleted_and_numbered_lists():
    assert (
        render("- one\n* two\n\n+ three") == f"<ul>{items('one')}</ul><ul>{items('two')}</ul><ul>{items('three')}</ul>"
    )
    assert render("- one\n- *two*") == f"<ul>{items('one', '<em>two</em>')}</ul>"
    assert render("1. one\n2. two") == f"<ol>{items('one', 'two')}</ol>"
    assert render("3) three\n4) four") == f'<ol start="3">{items("three", "four")}</ol>'
    assert render("text\n- item") == p("text") + f"<ul>{items('item')}</ul>"
    assert render("- loose\n\n- items") == f"<ul><li>{p('loose')}</li><li>{p('items')}</li></ul>"


def test_a_number_in_a_sentence_starts_no_list():
    assert render("we have 2. and\n3. stays text") == "we have 2. and\n3. stays text"


@pytest.mark.parametrize(
    "text",
    [
        "# not a heading",
        "title\n===",
        "---",
        "***",
        "| a | b |\n|---|---|",
        "    indented is not code",
        "[text](https://x.test)",
        "[x](javascript:alert(1))",
        "![img](https://x.test/a.png)",
        "[ref]: https://x.test",
        "<https://x.test>",
        "<b>raw</b> &amp; &#60;",
    ],
)
def test_markdown_we_do_not_support_stays_text(text):
    page = Page(render(text))
    assert page.problems == []
    assert {tag for tag, attrs in page.elements} <= {"p", "a"}
    assert without_markers(page.visible) == without_markers(text)
    for tag, attrs in page.elements:
        if tag == "a":  # only the URL itself links, never a [label]
            assert page.visible.count(attrs["href"]) >= 1


def test_a_backslash_keeps_a_marker_literal():
    assert render(r"\*not em\* and \- item") == "*not em* and - item"
    assert render("\\- not a list") == "- not a list"


# --- mentions ----------------------------------------------------------------


def test_mention_of_a_member_is_marked_with_their_id():
    assert render("hi @bob!", MEMBERS) == f"hi {mention('bob')}!"


def test_mention_of_someone_else_stays_plain_text():
    assert render("hi @carol and @bobby", MEMBERS) == "hi @carol and @bobby"


def test_sentence_punctuation_after_a_name_is_not_part_of_it():
    assert render("thanks @bob. and @al.ice, bye", MEMBERS) == f"thanks {mention('bob')}. and {mention('al.ice')}, bye"


def test_email_addresses_and_urls_mention_nobody():
    assert render("mail bob@bob and https://x.test/@bob", MEMBERS) == f"mail bob@bob and {link('https://x.test/@bob')}"


def test_a_name_in_another_case_names_the_member_and_keeps_how_it_was_typed():
    assert render("hi @Bob and @AL.ICE.", MEMBERS) == (
        'hi <span class="mention" data-user-id="7">@Bob</span> and '
        '<span class="mention" data-user-id="8">@AL.ICE</span>.'
    )
    assert mentioned("@BOB", MEMBERS) == {"bob"}


def test_an_exact_name_wins_over_one_in_another_case_and_two_others_name_nobody():
    both = {"bob": 7, "Bob": 9}
    assert render("@Bob @bob", both) == (
        '<span class="mention" data-user-id="9">@Bob</span> <span class="mention" data-user-id="7">@bob</span>'
    )
    assert render("@BOB", both) == "@BOB"
    assert mentioned("@Bob @BOB", both) == {"Bob"}


def test_mention_candidates_are_every_name_the_text_could_mean():
    assert mention_candidates("@bob. @al.ice, @x-y `@code` https://x.test/@url me@mail") == {
        "bob.",
        "bob",
        "al.ice",
        "x-y",
    }


def test_a_name_in_code_or_a_link_mentions_nobody():
    text = "`@bob` ```@bob``` https://x.test/@bob\n```\n@al.ice\n```"
    assert mention_candidates(text) == set()
    assert mentioned(text, MEMBERS) == set()
    assert Page(render(text, MEMBERS)).mentions == []


def test_mentions_in_quotes_lists_and_emphasis_count():
    text = "> @bob\n- *@al.ice*"
    assert mentioned(text, MEMBERS) == {"bob", "al.ice"}
    assert Page(render(text, MEMBERS)).mentions == ["7", "8"]


def test_an_escaped_at_sign_mentions_nobody():
    assert render("\\@bob", MEMBERS) == "@bob"
    assert mentioned("\\@bob", MEMBERS) == set()


def test_mentioned_picks_the_longest_known_name():
    assert mentioned("@bob. @al.ice", {"bob", "bob.", "al", "al.ice"}) == {"bob.", "al.ice"}
    assert mentioned("@bob. @al.ice", {"bob", "al"}) == {"bob"}


# --- the classics ------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    '<a href="javascript:alert(1)">x</a>',
    'https://x.test/"onmouseover="alert(1)',
    "https://x.test/'onmouseover='alert(1)",
    "https://x.test/<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "`</code><script>alert(1)</script>`",
    "```</pre><script>alert(1)</script>```",
    "**<b onclick=alert(1)>**",
    '@bob"><script>alert(1)</script>',
    "<!-- x --><![CDATA[x]]><?php ?>",
    "&lt;script&gt; &#60;script&#62;",
    '<div hx-get="/accounts/logout/" hx-trigger="load">',
]


@pytest.mark.parametrize("text", XSS)
def test_hostile_text_makes_no_element_or_attribute_off_the_allow_list(text):
    page = Page(render(text, MEMBERS))
    assert page.problems == []
    # Every character shows, as typed (the newline ends the paragraph).
    assert page.visible.removesuffix("\n") == text.replace("**", "").replace("```", "").replace("`", "")


def test_a_url_cannot_break_out_of_its_href():
    # linkify-it takes a quoted part into the path; its quotes are encoded in the href.
    html = render('https://x.test/"onmouseover="alert(1)')
    assert html == link("https://x.test/%22onmouseover=%22alert(1)", "https://x.test/&quot;onmouseover=&quot;alert(1)")
    assert next(attrs for tag, attrs in Page(html).elements if tag == "a")["href"].count('"') == 0


# --- emoji shortcodes --------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("ship it :tada:", "ship it 🎉"),
        (":+1: :thumbsup: :party_popper:", "👍 👍 🎉"),
        (":tada::tada:", "🎉🎉"),
        ("> :smile:\n- :heart: first\n1. :fire: **:rocket:**", "> 😄\n- ❤️ first\n1. 🔥 **🚀**"),
        (":Curaçao: :keycap_#: :St._Kitts_&_Nevis: _em_", "🇨🇼 #️⃣ 🇰🇳 _em_"),
        # Not a name the package knows, or not at the start of a word: as typed.
        (
            ":not_an_emoji: :Tada: key:x:value 10:30:00 nice:tada:",
            ":not_an_emoji: :Tada: key:x:value 10:30:00 nice:tada:",
        ),
        # A backslash keeps it, as it keeps a formatting mark.
        ("\\:tada: :tada:", "\\:tada: 🎉"),
    ],
)
def test_shortcodes_become_their_emoji(typed, saved):
    assert with_emoji(typed) == saved


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("`:tada:` :tada:", "`:tada:` 🎉"),
        ("``a `:tada:` b`` :tada:", "``a `:tada:` b`` 🎉"),
        ("```:tada:``` then :tada:", "```:tada:``` then 🎉"),
        ("look:\n```\n:tada: :+1:\n```\n:+1:", "look:\n```\n:tada: :+1:\n```\n👍"),
        ("- item\n  ```\n  :tada:\n  ```", "- item\n  ```\n  :tada:\n  ```"),
        ("> ```\n> :tada:\n> ```\n:tada:", "> ```\n> :tada:\n> ```\n🎉"),
        # A link keeps its address as typed, and one right beside it stays too.
        ("https://x.test/:b:/c :b:", "https://x.test/:b:/c 🅱️"),
        ("https://x.test:tada: :tada:https://x.test :tada:", "https://x.test:tada: :tada:https://x.test 🎉"),
        ("see https://x.test.:tada: (https://x.test):+1:", "see https://x.test.:tada: (https://x.test):+1:"),
        # An unclosed backtick is text (markdown shows it), so what follows is prose.
        ("a ` :tada:", "a ` 🎉"),
    ],
)
def test_shortcodes_in_code_and_links_stay_as_typed(typed, saved):
    assert with_emoji(typed) == saved
    # What the page shows as code and links is what was typed.
    before, after = Page(render(typed)), Page(render(saved))
    assert (after.code, after.links) == (before.code, before.links)


def test_text_without_shortcodes_is_returned_as_is():
    text = "plain: no emoji here, :nothing: to see"
    assert with_emoji(text) is text


def test_the_pages_table_is_what_emojize_and_the_server_convert():
    import emoji as emoji_package

    table = shortcodes.table()
    assert table["tada"] == "🎉" and table["+1"] == "👍" and table["party_popper"] == "🎉"
    every_name = {
        name.strip(":") for data in emoji_package.EMOJI_DATA.values() for name in (data["en"], *data.get("alias", ()))
    }
    assert set(table) <= every_name and len(table) > 5000
    for name in every_name - set(table):  # only names of emoji the package does not convert
        assert emoji_package.emojize(f":{name}:", language="alias") == f":{name}:", name
    for name, emoji in table.items():
        assert re.fullmatch(shortcodes.NAME, name), name
        assert emoji_package.emojize(f":{name}:", language="alias") == emoji, name
        assert with_emoji(f":{name}:") == emoji, name


# --- properties --------------------------------------------------------------

PIECES = st.sampled_from(
    [
        "*",
        "**",
        "`",
        "```",
        "\n",
        " ",
        "@bob",
        "@al.ice",
        "@carol",
        "@",
        "http://",
        "https://",
        "x.test",
        "/",
        "?a=1",
        "&",
        "&amp;",
        "<",
        ">",
        '"',
        "'",
        "(",
        ")",
        ".",
        ",",
        "!",
        "javascript:",
        "<script>",
        "onerror=",
        "a",
        "b@c",
        "-",
        "_",
        "#",
        ";",
        "\\",
        "=",
        "<!--",
        "]]>",
        "\r",
        "\t",
        "é",
        "😀",
    ]
)
TEXT = st.lists(PIECES | st.text(max_size=5), max_size=30).map("".join) | st.text(max_size=200)


@hypothesis_settings(max_examples=1500, deadline=None)
@given(TEXT)
def test_any_text_renders_only_allow_listed_markup_and_keeps_its_text(text):
    html = render(text, MEMBERS)
    page = Page(html)
    assert page.problems == [], html
    assert without_markers(page.visible) == without_markers(text)
    # Quotes in text are written as Django's escape() writes them.
    assert not re.search(r"""(?<![^>])[^<"']*["']""", html), html
    assert set(page.mentions) <= {str(pk) for pk in MEMBERS.values()}


@hypothesis_settings(max_examples=500, deadline=None)
@given(
    st.lists(PIECES | st.sampled_from([":tada:", ":", ":+1:", "tada"]) | st.text(max_size=5), max_size=30).map("".join)
)
def test_shortcodes_convert_only_outside_code_and_links(text):
    converted = with_emoji(text)
    before, after = Page(render(text, MEMBERS)), Page(render(converted, MEMBERS))
    # Code shows exactly what it showed before, and every link stays (an
    # emoji after "http://" may make a new one: it is a host name).
    assert after.code == before.code
    assert all(after.links.count(link) >= before.links.count(link) for link in before.links)


@hypothesis_settings(max_examples=500, deadline=None)
@given(TEXT)
def test_the_model_layer_and_the_page_agree_on_who_is_mentioned(text):
    names = mentioned(text, MEMBERS)
    assert {name.lower() for name in names} <= {name.lower() for name in mention_candidates(text)}
    rendered = set(Page(render(text, MEMBERS)).mentions)
    assert rendered == {str(MEMBERS[name]) for name in names}


def test_plain_text_reads_like_the_formatted_message():
    text = (
        "Noted. **Release** checklist:\n1. freeze `main`\n2. see https://x.test/a?\n\n"
        "> quoted\n```sh\nmake run\n```\n- \\*a\n- @bob"
    )
    assert (
        plain_text(text)
        == "Noted. Release checklist: 1. freeze main 2. see https://x.test/a? quoted sh make run *a @bob"
    )
