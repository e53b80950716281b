"""The one check of message text (validate_text), whatever brings it: the
socket, an upload's caption, the bots' API and their webhook answers each
have their own test where they live; here, the rule itself, on the database
of DATABASE_URL (SQLite by default, PostgreSQL when set: run it on both)."""

import pytest
from django.core.exceptions import ValidationError

from rooms.models import Message, validate_text

pytestmark = pytest.mark.django_db


def test_unsendable_characters_are_refused_by_name(unsendable):
    text, named = unsendable
    with pytest.raises(ValidationError) as refused:
        validate_text(text)
    assert refused.value.code == "unsendable" and named in refused.value.messages[0]


def test_tabs_newlines_and_a_browsers_crlf_are_text(lobby, alice):
    text = "columns:\tone\ttwo\r\nline two\nline three: ünïcödé 👍 and a bidi mark \u200f"
    validate_text(text)
    message = Message.objects.post(lobby, alice, text)
    message.refresh_from_db()
    assert message.text == text


@pytest.mark.parametrize(
    ("text", "code"), [(None, "invalid"), (5, "invalid"), ("", "blank"), (" \n\t", "blank"), ("x" * 2001, "max_length")]
)
def test_what_is_no_message_text_is_refused(text, code):
    with pytest.raises(ValidationError) as refused:
        validate_text(text)
    assert refused.value.code == code


def test_a_caption_may_be_blank_but_not_unsendable():
    validate_text("  ", caption=True)
    with pytest.raises(ValidationError):
        validate_text("\x00", caption=True)


def test_nothing_unsendable_is_saved_by_any_path_of_the_model(lobby, alice, unsendable):
    text, _ = unsendable
    with pytest.raises(ValidationError):
        Message.objects.post(lobby, alice, text)
    message = Message.objects.post(lobby, alice, "fine")
    with pytest.raises(ValidationError):
        message.edit(alice, text)
    with pytest.raises(ValidationError):
        Message.objects.post(lobby, alice, "fine again", client_id=f"c-{text}")
    assert list(Message.objects.values_list("text", flat=True)) == ["fine"]
