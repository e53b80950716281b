"""The room directory: a person leaves a public room and joins it again
from /rooms/, and the sidebar of their other open tab follows live."""

import pytest
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, LOOKS, assert_accessible, open_room


def sidebar_names(page):
    return page.locator("#room-list .room-name")


@pytest.mark.parametrize("look", ["desktop", "dark"])
def test_leaving_and_joining_from_the_directory_follow_in_another_tab(make_user, sign_in, look):
    from rooms.models import Message, Room

    design = Room.objects.create(name="Design", slug="design", topic="Pixels and fonts")
    make_user("alice")
    bob = make_user("bob")
    context = sign_in("alice", **LOOKS[look])
    other_tab = open_room(context)  # the lobby, its sidebar listing both rooms
    expect(sidebar_names(other_tab)).to_have_text(["# Design", "# Lobby"])

    directory = context.new_page()
    directory.goto("/")
    directory.get_by_role("link", name="Browse rooms").click()
    expect(directory.get_by_role("heading", name="Browse rooms")).to_be_visible()
    entry = directory.locator("#room-directory .directory-entry", has_text="# Design")
    expect(entry).to_contain_text("Pixels and fonts")
    expect(entry).to_contain_text("2 members")
    assert_accessible(directory, f"room directory ({look})")
    entry.get_by_role("button", name="Leave # Design").click()
    expect(sidebar_names(other_tab)).to_have_text(["# Lobby"], timeout=LIVE_TIMEOUT_MS)
    expect(entry).to_contain_text("1 member")

    # A message there while away counts nowhere; joining again brings the room back with it unread.
    Message.objects.post(design, bob, "new colours are in")
    entry.get_by_role("button", name="Join # Design").click()
    expect(sidebar_names(other_tab)).to_have_text(["# Design", "# Lobby"], timeout=LIVE_TIMEOUT_MS)
    design_entry = other_tab.locator("#room-list .room-entry", has_text="# Design")
    # The page asks for its counts of a room that came back (within 2 s, spread).
    expect(design_entry.locator(".unread-count")).to_have_text("1 unread", timeout=2 * LIVE_TIMEOUT_MS + 2000)


def test_a_private_room_is_not_in_the_directory(make_user, sign_in):
    from rooms.models import Room

    Room.objects.create(name="Secret plans", slug="secret", is_private=True)
    make_user("alice")
    page = sign_in("alice").new_page()
    page.goto("/rooms/")
    expect(page.locator("#room-directory .directory-entry")).to_have_count(1)  # the lobby
    expect(page.locator("main")).not_to_contain_text("Secret")
