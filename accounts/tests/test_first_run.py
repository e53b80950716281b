"""The first visit to a new install creates its first (staff) account, once."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from accounts.forms import SignupForm

from .conftest import signup_data

User = get_user_model()


@pytest.mark.django_db
def test_with_no_user_yet_the_room_list_and_the_login_page_lead_to_the_first_run_page(client):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/first-run/"
    assert "Welcome to your new chat" in response.content.decode()
    assert client.get("/accounts/login/")["Location"] == "/accounts/first-run/"


@pytest.mark.django_db
def test_the_first_run_creates_a_staff_superuser_and_signs_it_in(client, lobby):
    response = client.post("/accounts/first-run/", signup_data("founder"))
    assert response.status_code == 302 and response["Location"] == "/"
    founder = User.objects.get()
    assert founder.username == "founder" and founder.is_staff and founder.is_superuser
    page = client.get("/").content.decode()
    assert "Signed in as <strong>founder</strong>" in page and 'id="invite-people"' in page


@pytest.mark.django_db
def test_the_first_run_shows_form_errors_and_creates_nobody(client):
    response = client.post("/accounts/first-run/", {"username": "founder", "password1": "x", "password2": "y"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not User.objects.exists()


@pytest.mark.django_db
def test_once_anyone_exists_the_page_is_gone_and_replaying_its_form_creates_nobody(client, alice):
    assert client.get("/accounts/first-run/").status_code == 404
    assert client.post("/accounts/first-run/", signup_data("intruder")).status_code == 404
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]
    assert client.get("/accounts/login/").status_code == 200


def in_memory_sqlite():
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


RACE = """
import threading
from django.core.management import call_command
from django.db import connection
from django.test import Client
from accounts.forms import SignupForm

call_command("migrate", verbosity=0)
both_validated = threading.Barrier(2, timeout=10)
is_valid = SignupForm.is_valid

def valid_then_wait(form):
    result = is_valid(form)
    both_validated.wait()
    return result

SignupForm.is_valid = valid_then_wait
answers = []

def first_run(username):
    data = {"username": username, "password1": "a-long-pass-9876", "password2": "a-long-pass-9876"}
    try:
        answers.append(Client().post("/accounts/first-run/", data)["Location"])
    finally:
        connection.close()

threads = [threading.Thread(target=first_run, args=(name,)) for name in ("first", "second")]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
from django.contrib.auth import get_user_model
print(sorted(answers), get_user_model().objects.count())
"""


def test_two_first_runs_at_once_on_a_sqlite_file_create_one_account(tmp_path):
    """As `make run` serves it: a SQLite file, whose transactions begin
    IMMEDIATE, so the second first run waits and then finds the first account."""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", RACE],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path}/race.sqlite3",
            "REDIS_URL": "",
            "ALLOWED_HOSTS": "testserver",
            "DJANGO_SETTINGS_MODULE": "project.settings",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['/', '/accounts/login/'] 1"


@pytest.mark.django_db(transaction=True)
def test_two_first_runs_at_once_create_one_account(monkeypatch):
    """Both forms are valid while nobody exists yet; both then try to create.
    On PostgreSQL (CI) the table lock decides. The suite's in-memory SQLite
    shares one cache between threads, which refuses instead of waiting; a
    SQLite file is tested above."""
    if in_memory_sqlite():
        pytest.skip("in-memory SQLite: threads get 'table is locked'; the SQLite file test covers SQLite")
    both_validated = threading.Barrier(2, timeout=10)
    is_valid = SignupForm.is_valid

    def valid_then_wait(form):
        result = is_valid(form)
        both_validated.wait()
        return result

    monkeypatch.setattr(SignupForm, "is_valid", valid_then_wait)
    statuses = []

    def first_run(username):
        try:
            statuses.append(Client().post("/accounts/first-run/", signup_data(username))["Location"])
        finally:
            connection.close()

    threads = [threading.Thread(target=first_run, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert User.objects.count() == 1
    assert sorted(statuses) == ["/", "/accounts/login/"]


@pytest.mark.django_db
def test_signup_on_a_new_install_leads_to_the_first_run_too(client):
    assert client.get("/accounts/signup/")["Location"] == "/accounts/first-run/"
    assert client.post("/accounts/signup/", signup_data("someone"))["Location"] == "/accounts/first-run/"
    assert not User.objects.exists()
