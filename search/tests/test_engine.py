"""Search against the real full-text index of the database the suite runs
on (SQLite by default, PostgreSQL with DATABASE_URL): run it on both."""

import pytest

from rooms.models import Message
from search.engine import RELEVANCE, Cursor, search
from search.query import parse

pytestmark = pytest.mark.django_db(transaction=False)


def found(user, line, **options):
    return [r.message.text for r in search(user, parse(line), **options).results]


def test_words_match_whatever_their_order_and_form(alice, lobby, say):
    say(lobby, alice, "The staging password rotates on Fridays")
    say(lobby, alice, "Lunch on Friday?")
    say(lobby, alice, "nothing to see")
    assert found(alice, "password staging") == ["The staging password rotates on Fridays"]
    # Stemming: "rotation" and "rotates" share a stem in both index languages.
    assert found(alice, "rotating") == ["The staging password rotates on Fridays"]
    assert found(alice, "PASSWORD") == ["The staging password rotates on Fridays"]
    assert found(alice, "elephant") == []


def test_exact_phrases_and_excluded_words(alice, lobby, say):
    say(lobby, alice, "deploy the release now")
    say(lobby, alice, "release the deploy now")
    say(lobby, alice, "deploy the release tomorrow, not now")
    assert set(found(alice, '"deploy the release"')) == {
        "deploy the release now",
        "deploy the release tomorrow, not now",
    }
    assert found(alice, '"deploy the release" -tomorrow') == ["deploy the release now"]
    assert found(alice, 'now -"release the deploy" -tomorrow') == ["deploy the release now"]


def test_newest_first_by_default(alice, lobby, say):
    first = say(lobby, alice, "cake one")
    second = say(lobby, alice, "cake two")
    assert [r.message for r in search(alice, parse("cake")).results] == [second, first]


def test_by_relevance_the_better_match_comes_first(alice, lobby, say):
    say(lobby, alice, "a kettle and a long line about many other things entirely unrelated to the point")
    say(lobby, alice, "kettle kettle kettle")
    say(lobby, alice, "no match here")
    assert found(alice, "kettle", order=RELEVANCE)[0] == "kettle kettle kettle"


def test_only_rooms_the_reader_may_read_now(alice, bob, lobby, private_room, archived_room, say):
    say(lobby, alice, "budget public")
    say(private_room, alice, "budget secret")
    say(archived_room, alice, "budget archived")
    assert sorted(found(alice, "budget")) == ["budget archived", "budget public", "budget secret"]
    assert sorted(found(bob, "budget")) == ["budget archived", "budget public"]
    private_room.members.add(bob)
    assert "budget secret" in found(bob, "budget")
    private_room.members.remove(bob)
    assert "budget secret" not in found(bob, "budget")
    # Nor by naming the room.
    assert found(bob, "budget in:secret") == []


def test_deleted_messages_never_appear(alice, lobby, say):
    message = say(lobby, alice, "ephemeral thought")
    message.delete_by(alice)
    assert found(alice, "ephemeral") == []


def test_an_edited_message_is_found_by_its_new_text(alice, lobby, say):
    message = say(lobby, alice, "meet at noon")
    message.edit(alice, "meet at midnight")
    assert found(alice, "midnight") == ["meet at midnight"]
    assert found(alice, "noon") == []


def test_filters_by_room_and_author(alice, bob, lobby, archived_room, say):
    say(lobby, alice, "lamp alice lobby")
    say(lobby, bob, "lamp bob lobby")
    say(archived_room, bob, "lamp bob archive")
    assert found(alice, "lamp from:bob in:lobby") == ["lamp bob lobby"]
    assert sorted(found(alice, "lamp from:BOB")) == ["lamp bob archive", "lamp bob lobby"]
    assert (
        found(
            alice,
            "lamp",
        )
        and found(alice, "lamp in:nowhere") == []
    )
    assert [r.message.text for r in search(alice, parse("lamp", room=archived_room.slug)).results] == [
        "lamp bob archive"
    ]


def test_filters_alone_list_the_newest(alice, bob, lobby, say):
    say(lobby, bob, "<b>one</b>")
    say(lobby, alice, "two")
    results = search(alice, parse("from:bob")).results
    assert [r.message.text for r in results] == ["<b>one</b>"]
    assert str(results[0].snippet) == "&lt;b&gt;one&lt;/b&gt;"


def test_deleted_authors_show_as_deleted_user(alice, bob, lobby, say):
    say(lobby, bob, "orphaned words")
    bob.delete()
    (result,) = search(alice, parse("orphaned")).results
    assert result.message.author_name == "deleted user"


def test_snippets_mark_matches_on_escaped_text(alice, lobby, say):
    say(lobby, alice, '<script>alert("x")</script> the handshake & more')
    (result,) = search(alice, parse("handshake")).results
    html = str(result.snippet)
    assert "<mark>handshake</mark>" in html
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&amp; more" in html


def test_text_that_looks_like_html_is_searchable(alice, lobby, say):
    say(lobby, alice, "wrap it in a <section> element")
    (result,) = search(alice, parse("section")).results
    assert "&lt;<mark>section</mark>&gt;" in str(result.snippet)


def test_a_message_cannot_forge_marks(alice, lobby, say):
    say(lobby, alice, "<mark>fake</mark> real")
    (result,) = search(alice, parse("real")).results
    assert str(result.snippet).count("<mark>") == 1


@pytest.mark.parametrize("order", ["newest", RELEVANCE])
def test_keyset_pages_cover_everything_once(alice, lobby, say, order, django_assert_max_num_queries):
    for i in range(23):
        say(lobby, alice, f"page item {i}" + " filler" * (i % 4))
    seen, cursor = [], None
    while True:
        # The page, its files, the snippets, and the messages found by file name.
        with django_assert_max_num_queries(4):
            page = search(alice, parse("item"), order=order, cursor=cursor, limit=5)
        seen += [r.message.pk for r in page.results]
        if page.next_cursor is None:
            break
        cursor = Cursor.parse(str(page.next_cursor), order)
    assert sorted(seen) == sorted(Message.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen))


def snippet_of(user, line):
    (result,) = search(user, parse(line)).results
    return str(result.snippet)


def test_snippets_show_the_text_as_read_not_its_markup(alice, lobby, say):
    say(lobby, alice, "**Build 1** (web) passed; `deploy` script next\n> ~~staging~~ *first*\n1. freeze __main__")
    as_read = "Build 1 (web) passed; deploy script next staging first 1. freeze main"
    assert snippet_of(alice, "build") == as_read.replace("Build", "<mark>Build</mark>")
    # A match inside the formatting is marked as it reads.
    assert snippet_of(alice, "deploying") == as_read.replace("deploy", "<mark>deploy</mark>")
    assert snippet_of(alice, "staging") == as_read.replace("staging", "<mark>staging</mark>")
    # Listed by a filter alone (no match to mark), it reads the same.
    (result,) = search(alice, parse("from:alice")).results
    assert str(result.snippet) == as_read


def test_marked_up_text_that_looks_like_html_stays_escaped(alice, lobby, say):
    say(lobby, alice, "**<script>alert(1)</script>** in the `<b>handshake</b>` & more")
    html = snippet_of(alice, "handshake")
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt; in the &lt;b&gt;<mark>handshake</mark>&lt;/b&gt; &amp; more"


def test_a_long_message_shows_a_window_around_the_first_match(alice, lobby, say):
    words = [f"word{n}" for n in range(200)]
    words[120] = "**needle**"
    say(lobby, alice, " ".join(words))
    html = snippet_of(alice, "needle")
    assert html.startswith("…") and html.endswith("…")
    assert "<mark>needle</mark>" in html and "**" not in html
    # Some context before the match, more after it, about 200 characters in all.
    shown = html.strip("…").replace("<mark>", "").replace("</mark>", "").split(" ")
    assert 40 <= len(" ".join(shown[: shown.index("needle")])) <= 60
    assert 180 <= len(" ".join(shown)) <= 200


def test_a_phrase_cut_by_the_window_stays_marked():
    from search.snippets import Marks

    marks = Marks()
    # The end of a marked phrase at the start of a window, and the start of one at its end.
    assert str(marks.html(f"database{marks.stop} is read-only {marks.start}from")) == (
        "<mark>database</mark> is read-only <mark>from</mark>"
    )
