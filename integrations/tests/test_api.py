"""The bots' API: token auth, the room rules, and the same path as people's messages."""

import json

import pytest

from rooms.models import Message


def post(client, slug, body, token=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(f"/api/v1/rooms/{slug}/messages/", data, content_type="application/json", **headers, **extra)


@pytest.fixture
def api(client):
    return client


def test_a_bot_posts_with_its_token_and_gets_the_permalink(api, bot, token, lobby):
    response = post(api, "lobby", {"text": "Deploy finished"}, token)
    assert response.status_code == 201
    message = Message.objects.get()
    assert response.json() == {"id": message.pk, "url": f"http://testserver/rooms/lobby/messages/{message.pk}/"}
    assert (message.author, message.text, message.room) == (bot.user, "Deploy finished", lobby)


def test_a_bots_shortcodes_become_emoji_as_peoples_do(api, bot, token, lobby):
    assert post(api, "lobby", {"text": "Deploy finished :rocket: (`:rocket:` in code stays)"}, token).status_code == 201
    assert Message.objects.get().text == "Deploy finished 🚀 (`:rocket:` in code stays)"


def test_no_token_a_wrong_one_or_a_revoked_one_is_401_and_posts_nothing(api, bot, token):
    assert post(api, "lobby", {"text": "hi"}).status_code == 401
    assert post(api, "lobby", {"text": "hi"}, token[:-2] + "xx").status_code == 401
    assert post(api, "lobby", {"text": "hi"}, "not-a-bot-token").status_code == 401
    bot.revoke()
    response = post(api, "lobby", {"text": "hi"}, token)
    assert response.status_code == 401 and "revoked" in response.json()["error"]
    assert not Message.objects.exists()


def test_a_session_cookie_is_never_accepted(api, alice, bot):
    api.force_login(alice)
    response = post(api, "lobby", {"text": "from a browser"})
    assert response.status_code == 401
    assert not Message.objects.exists()


def test_a_new_token_replaces_the_old_one(api, bot, token):
    new = bot.issue_token()
    assert post(api, "lobby", {"text": "old"}, token).status_code == 401
    assert post(api, "lobby", {"text": "new"}, new).status_code == 201


def test_a_room_not_allowed_is_403_and_an_unknown_one_404(api, bot, token, archived_room):
    from rooms.models import Room

    Room.objects.create(name="Ops", slug="ops")
    assert post(api, "ops", {"text": "hi"}, token).status_code == 403
    bot.rooms.add(archived_room)
    assert post(api, archived_room.slug, {"text": "hi"}, token).status_code == 403
    assert post(api, "nowhere", {"text": "hi"}, token).status_code == 404
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "body", ["not json", json.dumps(["text"]), json.dumps({"text": 3}), json.dumps({}), json.dumps({"text": "   "})]
)
def test_a_malformed_body_is_400_with_a_json_error(api, bot, token, body):
    response = post(api, "lobby", body, token)
    assert response.status_code == 400
    assert response.json()["error"]
    assert not Message.objects.exists()


def test_text_over_the_limit_is_413(api, bot, token, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 10
    response = post(api, "lobby", {"text": "x" * 11}, token)
    assert response.status_code == 413 and "10" in response.json()["error"]


def test_the_flood_limit_applies_to_bots_too_429(api, bot, token, settings):
    settings.CHAT_RATE_LIMIT_MESSAGES = 2
    assert [post(api, "lobby", {"text": f"m{i}"}, token).status_code for i in range(3)] == [201, 201, 429]
    assert Message.objects.count() == 2


def test_only_post_is_allowed(api, bot, token):
    assert api.get("/api/v1/rooms/lobby/messages/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


def test_a_bot_message_carries_the_bot_badge_on_the_room_page(api, alice, bot, token):
    post(api, "lobby", {"text": "Deploy finished"}, token)
    api.force_login(alice)
    html = api.get("/rooms/lobby/").content.decode()
    assert '<span class="bot-badge"' in html
    assert html.count("bot-badge") == 1


def test_a_private_room_given_to_a_bot_takes_it_as_a_member(api, bot, token, private_room):
    assert post(api, "secret", {"text": "hi"}, token).status_code == 404
    bot.rooms.add(private_room)
    bot.join_private_rooms()
    assert post(api, "secret", {"text": "hi"}, token).status_code == 201
    assert private_room.members.filter(pk=bot.user.pk).exists()


@pytest.mark.parametrize("body", [{"text": "hi"}, "not json", {"text": "x" * 5000}])
def test_a_private_room_not_given_to_the_bot_is_answered_exactly_like_an_unknown_one(
    api, bot, token, private_room, body
):
    def answer(slug):  # "secret" and "absent" are as long as each other: so are the answers
        response = post(api, slug, body, token)
        # Every answer names its own request (X-Request-ID, a fresh random id): that tells nothing.
        headers = {name: value for name, value in response.headers.items() if name != "X-Request-ID"}
        return response.status_code, headers, response.content.replace(slug.encode(), b"<slug>")

    assert answer("secret") == answer("absent")
    status, headers, content = answer("secret")
    assert status == 404 and headers["Content-Type"] == "application/json"
    assert b"Secret" not in content and json.loads(content) == {"error": "There is no room <slug>."}
    assert not Message.objects.exists()


def test_a_private_room_the_bot_is_a_member_of_but_may_not_post_to_is_403(api, bot, token, private_room):
    private_room.members.add(bot.user)
    response = post(api, "secret", {"text": "hi"}, token)
    assert response.status_code == 403 and response.json() == {"error": "This bot may not post to secret."}


def test_text_no_message_may_hold_is_a_400_naming_it_and_posts_nothing(api, bot, token, unsendable):
    """A lone surrogate arrives as JSON's "\\ud800" (once a 500: neither
    database can store it), a NUL as "\\u0000" (a 500 on PostgreSQL)."""
    text, named = unsendable
    response = post(api, "lobby", json.dumps({"text": text}), token)
    assert response.status_code == 400
    assert f"cannot contain {named}" in response.json()["error"]
    assert not Message.objects.exists()
