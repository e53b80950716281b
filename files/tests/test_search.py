"""Search finds messages by their caption and by their files' names."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from search.engine import RELEVANCE, search
from search.query import parse

pytestmark = pytest.mark.django_db(transaction=True)


def found(user, line, **options):
    return [result.message.text for result in search(user, parse(line), **options).results]


def test_a_file_name_finds_its_message(upload, alice, bob, lobby, png):
    upload(alice, lobby, [SimpleUploadedFile("Q3-Report.pdf", b"%PDF")], caption="numbers")
    upload(alice, lobby, [png("holiday.png")], caption="")
    upload(alice, lobby, [SimpleUploadedFile("other.txt", b"x")], caption="the report, in words")
    assert found(bob, "report") == ["the report, in words", "numbers"]
    assert found(bob, "q3 report") == ["numbers"]
    assert found(bob, '"q3 report"') == ["numbers"]
    assert found(bob, "holiday") == [""]
    assert found(bob, "report", order=RELEVANCE) == ["the report, in words", "numbers"]


def test_a_caption_is_searched_like_any_text(upload, alice, bob, lobby, png):
    upload(alice, lobby, [png("a.png")], caption="sunset over the harbour")
    assert found(bob, "harbour") == ["sunset over the harbour"]


def test_files_of_rooms_the_reader_cannot_read_stay_hidden(upload, alice, bob, private_room):
    upload(alice, private_room, [SimpleUploadedFile("secret-plan.txt", b"x")], caption="")
    assert found(alice, "plan") == [""]
    assert found(bob, "plan") == []


def test_results_name_the_files(client, upload, alice, lobby):
    upload(alice, lobby, [SimpleUploadedFile("budget <2027>.xlsx", b"x")], caption="")
    client.force_login(alice)
    page = client.get("/search/", {"q": "budget"}).content.decode()
    assert '<span class="search-result-file">budget &lt;2027&gt;.xlsx</span>' in page
