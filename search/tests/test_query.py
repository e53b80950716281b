import pytest

from search.query import MAX_TERMS, BadQuery, parse


def test_words_phrases_and_exclusions():
    query = parse('Deploy "staging password" -prod -"old box"')
    assert query.words == ("deploy",)
    assert query.phrases == (("staging", "password"),)
    assert query.excluded == (("prod",), ("old", "box"))


def test_filters_come_out_of_the_line():
    query = parse("from:@Alice in:#lobby rotation")
    assert (query.author, query.room, query.words) == ("Alice", "lobby", ("rotation",))


def test_filters_from_the_controls_and_the_line_must_agree():
    assert parse("from:alice x", author="ALICE").author == "alice"
    with pytest.raises(BadQuery, match="from:bob or from:alice"):
        parse("from:alice x", author="bob")


def test_punctuation_never_reaches_either_query_language():
    query = parse('x" OR 1=1; NOT "a* -(b) NEAR/2 *')
    assert query.fts5().count('"') % 2 == 0
    assert all(ch.isalnum() or ch in ' "' for ch in query.fts5().replace("NOT", ""))


def test_a_dotted_token_is_a_phrase():
    assert parse("v2.1").phrases == (("v2", "1"),)


def test_only_exclusions_is_refused_with_a_reason():
    with pytest.raises(BadQuery, match="Add a word"):
        parse("-spam")


def test_too_many_terms_is_refused():
    with pytest.raises(BadQuery, match=str(MAX_TERMS)):
        parse(" ".join(f"w{i}" for i in range(MAX_TERMS + 1)))


def test_filters_alone_are_a_search():
    query = parse("from:alice")
    assert query.is_empty and query.author == "alice"
