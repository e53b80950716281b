"""Ids in URLs: every query string and path that takes one reads it the
same way (core/ids.py), so a look-alike digit or an id past 64 bits is a
clear 400 or 404, never a 500, on every page (the socket's frames and paths:
rooms/tests/test_socket_ids.py)."""

from urllib.parse import quote

import pytest
from django.test import Client

from rooms.models import Message, conversation_between

pytestmark = pytest.mark.django_db

# What a reader (or a crawler, or an attacker) may put where an id goes.
NOT_IDS = ["٣", "①", "²", "１", "+1", " 1", "1.0", "-1", "0", "1e3", str(2**63), "9" * 25]

# Query strings: (URL taking the bad id at {id}, status, what the answer says).
QUERY_STRINGS = {
    "room page ?before=": ("/rooms/lobby/?before={id}", 400, "?before= must be a message id."),
    "older ?before=": ("/rooms/lobby/older/?before={id}", 400, "?before= must be a message id."),
    "newer ?after=": ("/rooms/lobby/newer/?after={id}", 400, "?after= must be a message id."),
    "conversation ?before=": ("/dm/{dm}/?before={id}", 400, "?before= must be a message id."),
    "conversation newer ?after=": ("/dm/{dm}/newer/?after={id}", 400, "?after= must be a message id."),
    "search cursor": ("/search/?q=hello&cursor={id}", 400, "That link to more results is broken"),
    "search ranked cursor": (
        "/search/?q=hello&order=relevance&cursor=0.5_{id}",
        400,
        "That link to more results is broken",
    ),
}
# Paths: a segment that is no id matches no route.
PATHS = {
    "permalink": "/rooms/lobby/messages/{id}/",
    "message source": "/rooms/lobby/messages/{id}/source/",
    "conversation": "/dm/{id}/",
    "conversation older": "/dm/{id}/older/",
    "conversation permalink": "/dm/{dm}/messages/{id}/",
    "file": "/files/{id}/photo.png",
    "file preview": "/files/{id}/preview/",
}


@pytest.fixture
def browser(django_user_model, lobby):
    # Signed in by force_login: no password to hash, hundreds of times over.
    alice, bob = (django_user_model.objects.create(username=name) for name in ("alice", "bob"))
    Message.objects.post(lobby, alice, "hello")
    Message.objects.post(lobby, alice, "hello again")
    client = Client()
    client.force_login(alice)
    client.dm = conversation_between(alice, [bob])[0].pk
    return client


@pytest.mark.parametrize("bad", NOT_IDS)
@pytest.mark.parametrize("page", QUERY_STRINGS)
def test_a_query_string_id_that_is_no_id_is_a_clear_400(browser, page, bad):
    url, status, reason = QUERY_STRINGS[page]
    response = browser.get(url.format(id=quote(bad), dm=browser.dm))
    assert response.status_code == status
    assert reason in response.content.decode()


@pytest.mark.parametrize("bad", NOT_IDS)
@pytest.mark.parametrize("page", PATHS)
def test_a_path_id_that_is_no_id_is_a_404(browser, page, bad):
    assert browser.get(PATHS[page].format(id=quote(bad), dm=browser.dm)).status_code == 404


@pytest.mark.parametrize("bad", NOT_IDS)
def test_an_upload_to_a_conversation_that_is_no_id_is_a_404_and_stores_nothing(browser, bad, settings, tmp_path):
    from files.models import Attachment

    settings.MEDIA_ROOT = tmp_path
    response = browser.post(f"/dm/{quote(bad)}/files/", {"message": "hi"})
    assert response.status_code == 404
    assert not Attachment.objects.exists() and not any(tmp_path.iterdir())


def test_the_same_pages_answer_a_real_id(browser, lobby):
    first, second = lobby.messages.order_by("pk")
    for url in (
        f"/rooms/lobby/?before={second.pk}",
        f"/rooms/lobby/older/?before={second.pk}",
        f"/rooms/lobby/newer/?after={first.pk}",
        f"/rooms/lobby/messages/{first.pk}/",
        f"/search/?q=hello&cursor={second.pk}",
    ):
        response = browser.get(url)
        assert response.status_code == 200, url
        assert "hello" in response.content.decode(), url
