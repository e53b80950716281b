"""A display name and an avatar, set at /settings/, show on other people's
open pages at once: beside the person's messages and in "Here now", with
the @handle kept beside the new name."""

import pytest
from PIL import Image
from playwright.sync_api import expect

from e2e.conftest import LIVE_TIMEOUT_MS, LOOKS, assert_accessible, message_with, open_room, send


@pytest.mark.parametrize("look", ["desktop", "dark"])
def test_a_new_name_and_avatar_reach_another_persons_open_room(make_user, sign_in, tmp_path, look):
    picture = tmp_path / "me.png"
    Image.new("RGB", (320, 200), (30, 110, 200)).save(picture)
    make_user("alice")
    make_user("bob")
    alice_context = sign_in("alice", **LOOKS[look])
    alice_room = open_room(alice_context)
    bob_room = open_room(sign_in("bob", **LOOKS[look]))
    send(alice_room, "Morning all")
    message = message_with(bob_room, "Morning all")
    expect(message.locator(".message-author")).to_have_text("alice", timeout=LIVE_TIMEOUT_MS)
    expect(message.locator(".avatar-initial")).to_have_attribute("data-initial", "A")
    presence = bob_room.locator('#presence .presence-entry[data-username="alice"]')
    expect(presence).to_have_text("alice")

    settings = alice_context.new_page()
    settings.goto("/settings/")
    assert_accessible(settings, f"settings with the profile ({look})")
    settings.get_by_label("Display name").fill("Alice Liddell")
    settings.get_by_label("Avatar").set_input_files(picture)
    settings.locator("#profile-settings").get_by_role("button", name="Save").click()
    expect(settings.get_by_text("Saved: your name and avatar")).to_be_visible()
    expect(settings.locator("#profile-section img.avatar")).to_be_visible()

    # Bob's page, not reloaded.
    expect(message.locator(".message-author")).to_have_text("Alice Liddell", timeout=LIVE_TIMEOUT_MS)
    expect(message.locator(".message-handle")).to_have_text("@alice")
    from accounts.models import Profile

    profile = Profile.objects.get(user__username="alice")
    avatar = message.locator("img.avatar")
    expect(avatar).to_have_attribute("src", f"/accounts/avatars/{profile.user_id}/{profile.avatar_version}/")
    # Loaded from the server: a 128 px square.
    bob_room.wait_for_function(
        "img => img.complete && img.naturalWidth === 128", arg=avatar.element_handle(), timeout=LIVE_TIMEOUT_MS
    )
    expect(presence.locator(".presence-name")).to_have_text("Alice Liddell")
    expect(presence.locator("img.avatar")).to_be_visible()
    # Still the person: her name offers a direct message to her handle.
    message.locator(".person-name").click()
    expect(bob_room.locator(".person-menu button")).to_have_text("Message Alice Liddell")
    assert bob_room.locator(".person-menu input[name=with]").input_value() == "alice"
    # What she sends from the tab she had open carries the new name too.
    send(alice_room, "New look")
    expect(message_with(bob_room, "New look").locator(".message-author")).to_have_text(
        "Alice Liddell", timeout=LIVE_TIMEOUT_MS
    )
