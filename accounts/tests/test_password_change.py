"""People change their password at /accounts/password/change/ (linked from
the settings): the old one is asked for, the new one checked, and the
browser that changed it stays signed in while every other session ends."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
NEW = "a-fresh-pass-4321"


def signed_in(username, password):
    browser = Client()
    assert browser.login(username=username, password=password)
    return browser


def change(browser, old, new1=NEW, new2=NEW):
    return browser.post(
        "/accounts/password/change/", {"old_password": old, "new_password1": new1, "new_password2": new2}, follow=True
    )


def test_settings_link_to_the_change_form_which_needs_a_login(client, alice):
    assert client.get("/accounts/password/change/").status_code == 302
    client.force_login(alice)
    assert '<a href="/accounts/password/change/">Change password</a>' in client.get("/settings/").content.decode()
    form = client.get("/accounts/password/change/").content.decode()
    assert all(f'name="{name}"' in form for name in ("old_password", "new_password1", "new_password2"))


def test_changing_keeps_this_browser_signed_in_and_signs_out_the_others(alice):
    laptop, phone = signed_in("alice", "pw-alice-123"), signed_in("alice", "pw-alice-123")
    done = change(laptop, "pw-alice-123")
    assert "Password changed" in done.content.decode()
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302  # to the login page
    assert Client().login(username="alice", password=NEW)
    assert not Client().login(username="alice", password="pw-alice-123")


@pytest.mark.parametrize(
    ("old", "new1", "new2", "error"),
    [
        ("wrong", NEW, NEW, "Your old password was entered incorrectly"),
        ("pw-alice-123", NEW, NEW + "x", "The two password fields didn"),
        ("pw-alice-123", "12345678", "12345678", "This password is too common"),
    ],
)
def test_a_refused_change_says_why_and_keeps_the_old_password(alice, old, new1, new2, error):
    browser = signed_in("alice", "pw-alice-123")
    answer = change(browser, old, new1, new2).content.decode()
    assert error in answer and "Error: Change your password" in answer
    assert Client().login(username="alice", password="pw-alice-123")
