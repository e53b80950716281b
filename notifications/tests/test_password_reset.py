"""A forgotten password is reset from the login page by a link the worker
emails to the person's confirmed address: the page answers the same
whatever address is typed, unconfirmed addresses get nothing, requests are
throttled, and the link works once."""

import re

import pytest
from django.test import Client

from .conftest import confirmed

pytestmark = pytest.mark.django_db
BASE = "https://chat.example.com"
CHECK_YOUR_EMAIL = "If an account on this chat has that address confirmed"


def ask_for_a_link(address, client=None, ip="203.0.113.9"):
    return (client or Client()).post("/accounts/password/reset/", {"email": address}, follow=True, REMOTE_ADDR=ip)


def reset_link(email):
    plain = email.get_body(("plain",)).get_content()
    [link] = re.findall(re.escape(BASE) + r"/accounts/password/reset/[^/\s]+/[^/\s]+/", plain)
    assert f'href="{link}"' in email.get_body(("html",)).get_content()
    return link.removeprefix(BASE)


def test_the_login_page_leads_to_the_reset_form(alice):
    html = Client().get("/accounts/login/").content.decode()
    assert '<a href="/accounts/password/reset/">Forgot your password?</a>' in html
    form = Client().get("/accounts/password/reset/").content.decode()
    assert 'name="email"' in form and "Email me a link" in form


def test_a_confirmed_address_gets_a_link_that_sets_a_new_password_once(
    smtp_inbox, alice, run_tasks, django_capture_on_commit_callbacks
):
    confirmed(alice, "alice@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        answer = ask_for_a_link("Alice@Example.com")
    assert CHECK_YOUR_EMAIL in answer.content.decode()
    assert not smtp_inbox.messages()  # sent by the worker, not by the request
    run_tasks()
    [email] = smtp_inbox.messages()
    assert email["To"] == "alice@example.com"
    assert email["Subject"] == "Set a new password for chat.example.com"
    link = reset_link(email)

    browser = Client()
    form = browser.get(link, follow=True)
    assert "Set a new password" in form.content.decode() and "alice" in form.content.decode()
    done = browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-fresh-pass-4321", "new_password2": "a-fresh-pass-4321"},
        follow=True,
    )
    assert "Password set" in done.content.decode()
    assert Client().login(username="alice", password="a-fresh-pass-4321")
    assert not Client().login(username="alice", password="pw-alice-123")
    # Used once: the same link opens nothing now.
    again = Client().get(link, follow=True).content.decode()
    assert "Link no longer valid" in again and "new_password1" not in again


@pytest.mark.parametrize("case", ["unknown", "unconfirmed", "inactive"])
def test_no_link_goes_out_and_the_answer_is_the_same(
    case, smtp_inbox, alice, run_tasks, django_capture_on_commit_callbacks
):
    confirmed(alice, "alice@example.com")
    known = ask_for_a_link("alice@example.com").content.decode()
    smtp_inbox.envelopes.clear()
    if case == "unconfirmed":
        alice.email = "typed@example.com"
        alice.save()
    if case == "inactive":
        alice.is_active = False
        alice.save()
    address = {"unknown": "nobody@example.com", "unconfirmed": "typed@example.com", "inactive": "alice@example.com"}[
        case
    ]
    with django_capture_on_commit_callbacks(execute=True):
        answer = ask_for_a_link(address, ip="198.51.100.4")
    assert answer.status_code == 200 and answer.redirect_chain == [("/accounts/password/reset/done/", 302)]
    assert answer.content.decode() == known
    run_tasks()
    assert not smtp_inbox.messages()


def test_an_address_changed_after_the_request_gets_nothing(
    smtp_inbox, alice, run_tasks, django_capture_on_commit_callbacks
):
    confirmed(alice, "alice@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        ask_for_a_link("alice@example.com")
    alice.email = "new@example.com"
    alice.save()
    run_tasks()
    assert not smtp_inbox.messages()


def test_requests_are_throttled_per_address_typed_and_per_client(alice):
    confirmed(alice, "alice@example.com")
    for n in range(5):
        assert ask_for_a_link("alice@example.com", ip=f"198.51.100.{n}").status_code == 200
    refused = Client().post("/accounts/password/reset/", {"email": "ALICE@example.com"}, REMOTE_ADDR="192.0.2.1")
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()
    for n in range(5):
        ask_for_a_link(f"guess{n}@example.com", ip="192.0.2.50")
    assert (
        Client().post("/accounts/password/reset/", {"email": "other@example.com"}, REMOTE_ADDR="192.0.2.50").status_code
        == 429
    )
