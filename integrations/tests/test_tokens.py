"""Tokens: shown once, stored hashed, derived again only with SECRET_KEY to sign."""

import hashlib
import hmac

import pytest

from integrations import tokens
from integrations.models import BadToken, Bot


def test_the_token_is_not_stored_only_its_hash(bot, token):
    bot.refresh_from_db()
    stored = [str(getattr(bot, field.attname)) for field in Bot._meta.concrete_fields]
    assert not any(token in value for value in stored)
    assert bot.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith("chatbot_") and bot.token_prefix == token[:12]


def test_the_server_recovers_the_token_to_sign_but_not_after_secret_key_changes(bot, token, settings):
    assert bot.signing_token() == token
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "another-key-" + "x" * 50
    assert bot.signing_token() is None
    settings.SECRET_KEY_FALLBACKS = [old]
    assert bot.signing_token() == token


def test_the_signature_is_hmac_sha256_of_the_raw_body_keyed_with_the_token(token):
    body = b'{"text":"hi"}'
    expected = hmac.new(token.encode(), body, hashlib.sha256).hexdigest()
    assert tokens.sign(body, token) == f"sha256={expected}"


def test_authenticate_takes_only_a_bearer_token_of_an_active_bot(bot, token):
    assert Bot.objects.authenticate(f"Bearer {token}") == bot
    assert Bot.objects.authenticate(f"bearer {token}") == bot
    for header in [None, "", token, f"Basic {token}", f"Bearer {token}x", "Bearer chatbot_"]:
        with pytest.raises(BadToken):
            Bot.objects.authenticate(header)
    bot.user.is_active = False
    bot.user.save()
    with pytest.raises(BadToken):
        Bot.objects.authenticate(f"Bearer {token}")
