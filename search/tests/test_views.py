import pytest

from rooms.models import Message

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client):
    response = client.get("/search/?q=x")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/search/%3Fq%3Dx"


def test_results_have_the_contract_dom_and_link_to_permalinks(client, alice, bob, lobby, say):
    message = say(lobby, bob, "the <b>deploy</b> key")
    client.force_login(alice)
    page = client.get("/search/", {"q": "deploy"}).content.decode()
    assert 'id="search-results"' in page and page.count('class="search-result"') == 1
    assert f'href="/rooms/lobby/messages/{message.pk}/"' in page
    assert "&lt;b&gt;<mark>deploy</mark>&lt;/b&gt;" in page
    assert "# Lobby" in page and ">bob<" in page
    # The top bar's box keeps the line.
    assert 'id="search"' in page and 'name="q" type="search" value="deploy"' in page


def test_every_page_has_the_search_box(client, alice, lobby):
    client.force_login(alice)
    page = client.get("/rooms/lobby/").content.decode()
    assert 'action="/search/"' in page and 'id="search"' in page
    assert 'type="module" src="/static/frontend/search-shortcut.js"' in page


def test_bad_input_says_what_to_change_and_keeps_the_line(client, alice, lobby):
    client.force_login(alice)
    response = client.get("/search/", {"q": "-spam"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Add a word" in page and 'value="-spam"' in page
    for cursor in ("nope", str(2**64), "nan_5"):
        response = client.get("/search/", {"q": "x", "cursor": cursor, "order": "relevance" if "_" in cursor else ""})
        assert response.status_code == 400 and "search again" in response.content.decode()


def test_a_line_too_long_to_search_is_refused_with_a_clear_message_and_the_boxes_say_so(client, alice, lobby, say):
    from search.query import MAX_LENGTH

    say(lobby, alice, "needle")
    client.force_login(alice)
    response = client.get("/search/", {"q": "needle " + "x" * MAX_LENGTH})
    assert response.status_code == 400
    page = response.content.decode()
    assert f"Search for at most {MAX_LENGTH} characters at a time (this line has {MAX_LENGTH + 7})." in page
    assert 'class="search-result"' not in page
    # The top bar's box and the page's own stop typing there.
    assert page.count(f'maxlength="{MAX_LENGTH}"') == 2
    assert client.get("/search/", {"q": "needle " + "x" * (MAX_LENGTH - 7)}).status_code == 200


def test_more_results_continue_after_the_last_one(client, alice, lobby, say, settings):
    settings.CHAT_SEARCH_PAGE_SIZE = 2
    for i in range(5):
        say(lobby, alice, f"tick {i}")
    client.force_login(alice)
    page = client.get("/search/", {"q": "tick"}).content.decode()
    assert page.count('class="search-result"') == 2 and 'id="search-more"' in page
    seen = []
    cursor = None
    while True:
        params = {"q": "tick", **({"cursor": cursor} if cursor else {})}
        response = client.get("/search/", params, headers={"HX-Request": "true"} if cursor else {})
        context = response.context
        seen += [r.message.text for r in context["page"].results]
        if not context["page"].next_cursor:
            break
        cursor = str(context["page"].next_cursor)
    assert seen == [f"tick {i}" for i in reversed(range(5))]
    # The htmx request gets just the next results, no page around them.
    fragment = client.get(
        "/search/", {"q": "tick", "cursor": Message.objects.order_by("-pk")[1].pk}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in fragment and fragment.count('class="search-result"') == 2


def test_no_results_is_said(client, alice, lobby):
    client.force_login(alice)
    page = client.get("/search/", {"q": "nothing"}).content.decode()
    assert "No messages you can read match" in page and 'class="search-result"' not in page


def test_private_rooms_stay_out_of_the_room_control(client, bob, private_room, lobby):
    client.force_login(bob)
    page = client.get("/search/").content.decode()
    assert 'value="lobby"' in page and "secret" not in page.lower()
