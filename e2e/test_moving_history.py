"""A team's history in and out, in Chromium: someone whose Slack history
was imported claims their account from the link import_slack printed and
finds their rooms; "Download my data" at /settings/ gives a zip the
worker made, downloaded in the browser."""

import json
import re
import subprocess
import sys
import zipfile

import pytest

from e2e.conftest import ROOT, assert_accessible

# The worker polls every 0.1 s and the section every 2 s: a few rounds of each.
READY_TIMEOUT_MS = 15_000


@pytest.fixture
def forget_slack_ids():
    """The ids an import recorded go with the rows the suite cleans up after each test."""
    yield
    from transfer.models import SlackId

    SlackId.objects.all().delete()


def test_an_imported_person_claims_their_account_and_finds_their_history(
    server, server_env, browser, make_user, tmp_path, forget_slack_ids
):
    from rooms.models import Message, Room
    from transfer.tests.conftest import workspace, write_zip

    # The lobby is in use: Slack's #general comes as a room of its own.
    Message.objects.create(room=Room.objects.get(slug="lobby"), author=make_user("admin"), text="Welcome")
    export = write_zip(tmp_path / "slack-export.zip", workspace())
    done = subprocess.run(
        [sys.executable, "manage.py", "import_slack", str(export)],
        cwd=ROOT,
        env=server_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    link = re.search(r"^  bob\tBob Baker\t(\S+)$", done.stdout, re.MULTILINE).group(1)

    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    page.goto(link)
    assert page.locator("h1").inner_text() == "Claim your account"
    assert_accessible(page, "the claim page")
    page.fill("input[name=new_password1]", "bobs-new-password-1")
    page.fill("input[name=new_password2]", "bobs-new-password-1")
    page.click("#claim-account button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    page.goto("/rooms/general/")
    first = page.locator("article.message").first
    assert "welcome to #general" in first.inner_text()
    assert first.locator(".mention").inner_text() == "@bob"
    page.goto(link)
    assert "has been claimed" in page.content()
    context.close()


def test_download_my_data_gives_a_zip_of_ones_own_messages(server, worker_with, make_user, sign_in):
    from rooms.models import Message, Room

    alice = make_user("alice", email="alice@example.com")
    lobby = Room.objects.get(slug="lobby")
    Message.objects.create(room=lobby, author=alice, text="Mine to keep")
    Message.objects.create(room=lobby, author=make_user("bob"), text="Not alice's")
    page = sign_in("alice").new_page()
    page.goto("/settings/")
    page.click("#download-my-data")
    page.wait_for_url(f"{server.url}/settings/#my-data")
    # Asked for while no worker runs, so the page shows the wait; the link
    # then arrives live once a worker has built the archive.
    assert "Preparing your data" in page.locator("#my-data-status").inner_text()
    worker_with()
    link = page.locator("#my-data-download")
    link.wait_for(timeout=READY_TIMEOUT_MS)
    assert_accessible(page, "settings with an archive ready")
    with page.expect_download() as download:
        link.click()
    assert re.fullmatch(r"chat-data-alice-\d{4}-\d{2}-\d{2}\.zip", download.value.suggested_filename)
    with zipfile.ZipFile(download.value.path()) as archive:
        assert json.loads(archive.read("settings.json"))["email"] == "alice@example.com"
        [day] = [name for name in archive.namelist() if name.startswith("Lobby/")]
        assert [message["text"] for message in json.loads(archive.read(day))] == ["Mine to keep"]
