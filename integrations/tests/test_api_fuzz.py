"""schemathesis fuzzes the bots' API against the OpenAPI document the app
serves: every answer, to the bot's token, a wrong one or none, must be one
the document lists (status, content type, headers, body), and none a 500.

In process, through Django's WSGI handler: the same URLs, middleware and
views as the server, in the test's own database transaction. The
document's own address is left out by schemathesis (it served the schema);
integrations/tests/test_openapi.py covers it."""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings, strategies
from schemathesis.config import SchemathesisConfig

from integrations import tokens
from rooms.models import Room

# Enough for every status to come up; about 15 s for the three tests.
fuzzing = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Loaded as the module is collected (the document's view needs no
# database, and pytest-django has set Django up by then): schemathesis'
# from_fixture would load it per test but relies on a pytest internal that
# pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    WSGIHandler(),
    config=SchemathesisConfig.from_dict(
        {
            "checks": {
                # A body the document allows may still be refused for what it does
                # not say: a blank text or characters no message may hold (400),
                # extra keys nesting or weighing more than a message needs (400,
                # 413), the flood limit (429). Each is an answer it lists.
                "positive_data_acceptance": {"expected-statuses": [201, 400, 401, 403, 404, 413, 429]},
                # A body it does not allow is refused, never with a 5xx.
                "negative_data_rejection": {"expected-statuses": [400, 401, 403, 404, 405, 413, 429]},
            },
        }
    ),
)

# schemathesis authenticates cases as it makes them, some while the tests
# are collected: the bot's token is known before the bot exists.
SALT = "schemathesis"
TOKEN = tokens.derive(SALT)

# A random slug almost never names a room, so most requests go to rooms
# that exist and their bodies meet every rule behind the room's: ops and
# lobby are the bot's, secret is private, old archived, town public but
# not the bot's.
ROOMS = ["ops", "lobby", "secret", "old", "town"]


@pytest.fixture(autouse=True)
def requests_keep_the_test_s_connection():
    # The handler closes database connections after each request, as it
    # should in a server; here that would close the test's transaction
    # (PostgreSQL). Django's test client leaves them open the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def rooms(db, lobby, bot):
    bot.token_salt, bot.token_hash = SALT, tokens.hash_token(TOKEN)
    bot.save()
    ops = Room.objects.create(name="Ops", slug="ops")
    old = Room.objects.create(name="Old", slug="old", is_archived=True)
    Room.objects.create(name="Secret", slug="secret", is_private=True)
    Room.objects.create(name="Town", slug="town")
    bot.rooms.add(ops, old)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if "slug" not in path_parameters:
        return strategies.just(path_parameters)
    slugs = strategies.sampled_from([*ROOMS, path_parameters["slug"]])
    return slugs.map(lambda slug: {**path_parameters, "slug": slug})


class BotToken:
    """The bot's token as schemathesis' authentication for the operation:
    its cases meant to go without it (or with a wrong one) then do."""

    def get(self, case, context):
        return TOKEN

    def set(self, case, token, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


class WrongToken(BotToken):
    def get(self, case, context):
        return TOKEN[:-4] + "abcd"


@schema.parametrize()
@schema.auth.apply(BotToken, refresh_interval=None)
@fuzzing
def test_every_answer_to_the_bot_s_token_is_documented(case):
    case.call_and_validate()


@schema.parametrize()
@fuzzing
def test_every_answer_without_a_token_is_documented(case):
    case.call_and_validate()


@schema.parametrize()
@schema.auth.apply(WrongToken, refresh_interval=None)
@fuzzing
def test_every_answer_to_a_wrong_token_is_documented(case):
    case.call_and_validate()
