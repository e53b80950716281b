"""Who may create an account: CHAT_SIGNUP, invitations, and look-alike names."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation

from .conftest import signup_data

pytestmark = pytest.mark.django_db
User = get_user_model()


def usernames():
    return set(User.objects.values_list("username", flat=True))


def test_by_default_a_plain_signup_explains_an_invitation_is_needed_and_creates_nobody(client, alice):
    page = client.get("/accounts/signup/")
    assert page.status_code == 403
    assert "An invitation is needed" in page.content.decode()
    assert 'name="password1"' not in page.content.decode()
    response = client.post("/accounts/signup/", signup_data("mallory"))
    assert response.status_code == 403 and "invitation" in response.content.decode()
    assert usernames() == {"alice"}


def test_closed_signup_says_so_even_with_an_invitation(client, settings, invitation):
    settings.CHAT_SIGNUP = "closed"
    for url in ["/accounts/signup/", invitation.get_absolute_url()]:
        response = client.post(url, signup_data("mallory"))
        assert response.status_code == 403 and "Sign-up is closed" in response.content.decode()
    assert "mallory" not in usernames()


def test_open_signup_creates_the_account_signs_in_and_follows_next(client, settings, lobby, alice):
    settings.CHAT_SIGNUP = "open"
    response = client.post("/accounts/signup/?next=/rooms/lobby/", signup_data("carol", next="/rooms/lobby/"))
    assert response.status_code == 302 and response["Location"] == "/rooms/lobby/"
    assert client.get("/rooms/lobby/").status_code == 200
    carol = User.objects.get(username="carol")
    assert not carol.is_staff and not carol.is_superuser


def test_signup_refuses_a_foreign_next(client, settings, alice):
    settings.CHAT_SIGNUP = "open"
    response = client.post("/accounts/signup/", signup_data("dave", next="https://evil.example/"))
    assert response["Location"] == reverse("rooms:list")


def test_signup_shows_errors_and_keeps_the_username(client, settings, alice):
    settings.CHAT_SIGNUP = "open"
    response = client.post("/accounts/signup/", {"username": "erin", "password1": "x", "password2": "y"})
    assert response.status_code == 200
    assert b"didn" in response.content  # "The two password fields didn't match."
    assert b'value="erin"' in response.content


def test_an_invitation_link_opens_the_signup_form_and_counts_its_uses(client, invitation, lobby):
    page = client.get(invitation.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="password1"' in html and "invited by <strong>staff</strong>" in html
    assert f'action="{invitation.get_absolute_url()}"' in html
    response = client.post(invitation.get_absolute_url(), signup_data("carol"))
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200  # signed in
    invitation.refresh_from_db()
    assert invitation.uses == 1 and invitation.uses_left == 1


def test_a_used_up_invitation_explains_itself_and_creates_nobody(client, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(uses=2)
    response = client.post(invitation.get_absolute_url(), signup_data("carol"))
    assert response.status_code == 410
    assert "already been used as many times as it allows" in response.content.decode()
    assert "carol" not in usernames()


def test_an_expired_invitation_says_when_it_expired(client, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(invitation.get_absolute_url())
    assert response.status_code == 410 and "This invitation expired on" in response.content.decode()
    assert client.post(invitation.get_absolute_url(), signup_data("carol")).status_code == 410
    assert "carol" not in usernames()


def test_a_revoked_invitation_lets_nobody_in(client, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(revoked=True)
    response = client.post(invitation.get_absolute_url(), signup_data("carol"))
    assert response.status_code == 410 and "withdrawn" in response.content.decode()
    assert "carol" not in usernames()


def test_an_unknown_invitation_is_a_clear_404(client, staff):
    response = client.get("/accounts/join/not-a-real-token/")
    assert response.status_code == 404 and "not valid" in response.content.decode()


def test_the_last_use_is_taken_once_and_a_failed_signup_takes_none(client, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(max_uses=1)
    bad = client.post(invitation.get_absolute_url(), {"username": "carol", "password1": "x", "password2": "y"})
    assert bad.status_code == 200
    invitation.refresh_from_db()
    assert invitation.uses == 0
    assert client.post(invitation.get_absolute_url(), signup_data("carol")).status_code == 302
    client.logout()
    assert client.post(invitation.get_absolute_url(), signup_data("dave")).status_code == 410
    assert "dave" not in usernames()


def test_a_claim_that_loses_the_race_rolls_the_account_back(client, invitation, monkeypatch):
    """Another sign-up took the last use between this form's check and its save."""
    monkeypatch.setattr(Invitation, "claim", lambda self: False)
    response = client.post(invitation.get_absolute_url(), signup_data("carol"))
    assert response.status_code == 410
    assert "carol" not in usernames()


@pytest.mark.parametrize("lookalike", ["Alice", "ALICE", "\u0430lice", "a1ice", "ａｌｉｃｅ", "AIice"])
def test_usernames_imitating_an_existing_one_are_refused(client, invitation, alice, lookalike):
    response = client.post(invitation.get_absolute_url(), signup_data(lookalike))
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert usernames() == {"alice", "staff"}


def test_a_clearly_different_name_is_welcome(client, invitation, alice):
    assert client.post(invitation.get_absolute_url(), signup_data("alicia")).status_code == 302


def test_the_login_page_offers_signup_only_when_it_is_possible(client, settings, alice):
    settings.CHAT_SIGNUP = "open"
    assert 'href="/accounts/signup/"' in client.get("/accounts/login/").content.decode()
    settings.CHAT_SIGNUP = "invite"
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/signup/"' not in page and "invitation link" in page
    settings.CHAT_SIGNUP = "closed"
    assert 'href="/accounts/signup/"' not in client.get("/accounts/login/").content.decode()
