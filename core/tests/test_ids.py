"""The one reading of ids from outside: ASCII digits or a whole JSON number,
1 to 2**63 - 1; every look-alike refused (the doors' own answers are tested
where they are: rooms/tests/test_socket_ids.py, project/tests/test_ids.py)."""

import pytest

from core.ids import MAX_ID, BadId, IdConverter, parse_id

# What a client may send where an id goes and must not be taken for one.
NOT_IDS = [
    "٣",  # ARABIC-INDIC DIGIT THREE: int() takes it
    "①",  # CIRCLED DIGIT ONE: isdigit() takes it, int() raises
    "²",  # SUPERSCRIPT TWO: the same
    "１",  # FULLWIDTH DIGIT ONE
    "+1",
    "-1",
    " 1",
    "1 ",
    "1\n",
    "1_0",
    "1.0",
    "1e3",
    "0x1",
    "",
    "0",
    "00",
    str(MAX_ID + 1),
    "9" * 20,
    "9" * 5000,
    0,
    -1,
    MAX_ID + 1,
    2**64,
    True,
    False,
    1.0,
    1.5,
    None,
    [1],
    {"id": 1},
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("1", 1),
        ("42", 42),
        ("007", 7),
        (MAX_ID, MAX_ID),
        (str(MAX_ID), MAX_ID),
    ],
)
def test_ascii_digits_and_whole_numbers_in_range_are_ids(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("value", NOT_IDS, ids=repr)
def test_anything_else_is_refused(value):
    with pytest.raises(BadId):
        parse_id(value)


def test_zero_is_accepted_only_where_it_means_from_the_start():
    assert parse_id(0, minimum=0) == 0 and parse_id("0", minimum=0) == 0
    with pytest.raises(BadId):
        parse_id("²", minimum=0)


def test_a_path_whose_id_is_not_one_matches_no_route():
    converter = IdConverter()
    assert converter.to_python("12") == 12 and converter.to_url(12) == "12"
    for value in ("0", str(MAX_ID + 1)):  # within the route's pattern, not ids
        with pytest.raises(ValueError):  # noqa: PT011 (Django's "no match": a 404)
            converter.to_python(value)
