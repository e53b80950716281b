"""Each imported person claims their account with their own link: printed
by import_slack, or emailed by the worker with --email."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.models import Invitation

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "a-long-pass-9876"


def claim_links(export_zip, *args):
    out = StringIO()
    call_command("import_slack", str(export_zip), *args, stdout=out, stderr=StringIO())
    return dict(re.findall(r"^  (\S+)\t.*\t(\S+)$", out.getvalue(), re.MULTILINE))


def test_each_person_gets_a_link_and_nobody_else_does(export_zip):
    links = claim_links(export_zip)
    # Not dave (deactivated in Slack), nor the bots, nor someone of another workspace.
    assert sorted(links) == ["alice", "bob", "carol"]
    assert all(link.startswith("/accounts/join/") for link in links.values())
    assert len(set(links.values())) == 3
    assert claim_links(export_zip) == links  # a second run: the same links, still valid


def test_the_link_lets_its_person_choose_a_password_and_sign_in(client, export_zip):
    link = claim_links(export_zip)["bob"]
    page = client.get(link).content.decode()
    assert "Claim your account" in page and "<strong>bob</strong> (Bob Baker)" in page
    response = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    bob = User.objects.get(username="bob")
    assert bob.is_active and bob.check_password(PASSWORD)
    assert "general" in client.get("/").content.decode()
    client.logout()
    again = client.get(link)
    assert again.status_code == 410 and "has been claimed" in again.content.decode()
    assert client.login(username="bob", password=PASSWORD)


def test_a_claim_needs_matching_passwords_and_works_with_sign_up_closed(client, export_zip, settings):
    settings.CHAT_SIGNUP = "closed"
    link = claim_links(export_zip)["carol"]
    refused = client.post(link, {"new_password1": PASSWORD, "new_password2": "something-else-1"})
    assert refused.status_code == 200 and "didn’t match" in refused.content.decode()
    assert not User.objects.get(username="carol").is_active
    client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert User.objects.get(username="carol").is_active


def test_an_expired_link_says_so(client, export_zip):
    link = claim_links(export_zip)["alice"]
    Invitation.objects.filter(account__username="alice").update(revoked=True)
    response = client.get(link)
    assert response.status_code == 410 and "withdrawn" in response.content.decode()
    assert client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD}).status_code == 410
    assert not User.objects.get(username="alice").is_active


def test_with_email_the_worker_sends_each_link_to_the_address_slack_had(
    export_zip, settings, smtp_server, run_tasks, django_capture_on_commit_callbacks
):
    settings.CHAT_BASE_URL = "https://chat.example.com"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp_server.port, "timeout": 10},
        }
    }
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_slack", str(export_zip), "--email", stdout=out, stderr=StringIO())
    assert "alice\tAlice Archer\temailed to alice@example.com" in out.getvalue()
    carol_link = re.search(r"carol\tCarol Cole\t(\S+)", out.getvalue()).group(1)  # no address: printed
    assert carol_link.startswith("https://chat.example.com/accounts/join/")
    run_tasks()
    emails = {message["To"]: message for message in smtp_server.messages()}
    assert sorted(emails) == ["alice@example.com", "bob@example.com"]
    body = emails["bob@example.com"].get_content()
    link = Invitation.objects.get(account__username="bob").link()
    assert link in body and "username bob" in body
    assert "claim your account" in emails["bob@example.com"]["Subject"]


def test_someone_here_already_keeps_their_account_when_slack_has_their_confirmed_address(export_zip):
    from notifications.models import NotificationSettings

    alice = User.objects.create_user("alice.archer", email="Alice@Example.com", password=PASSWORD)
    NotificationSettings.objects.for_user(alice).confirm("Alice@Example.com")
    unconfirmed = User.objects.create_user("bobby", email="bob@example.com", password=PASSWORD)
    links = claim_links(export_zip)
    assert sorted(links) == ["bob", "carol"]
    assert alice.chat_messages.filter(text="Hi Bob, a direct message").exists()
    assert not unconfirmed.chat_messages.exists()  # an address nobody confirmed proves nothing
