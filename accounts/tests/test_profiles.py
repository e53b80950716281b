"""Each person sets a display name and an avatar at /settings/: the name is
trimmed, bounded and one line; the avatar is re-encoded like a message's
image (its middle square, small, nothing but pixels) and served to
signed-in people; both show beside messages, in "Here now", in mention
suggestions and titles, while `@username` stays the handle."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.models import AVATAR_SIZE, Profile
from accounts.names import display_name
from rooms.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def photo(size=(400, 200), fmt="JPEG", name="me.jpg", exif=True):
    image = Image.new("RGB", size, (20, 120, 200))
    image.paste((250, 200, 0), (0, 0, size[0] // 5, size[1]))  # a yellow band at the left, cropped away
    buffer = io.BytesIO()
    extra = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "Camera maker"  # Make
        extra["exif"] = data.tobytes()
    image.save(buffer, fmt, **extra)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def save_profile(browser, **data):
    return browser.post("/settings/profile/", {"display_name": "", **data}, follow=True)


@pytest.fixture
def alice_browser(alice):
    browser = Client()
    browser.force_login(alice)
    return browser


def test_the_display_name_is_trimmed_and_shown_instead_of_the_username(alice_browser, alice, bob, lobby):
    page = save_profile(alice_browser, display_name="  Alice Liddell  ").content.decode()
    assert "Saved" in page and '<strong id="profile-name">Alice Liddell</strong>' in page
    alice.refresh_from_db()
    assert display_name(alice) == "Alice Liddell"
    Message.objects.post(lobby, alice, "hello")
    room = alice_browser.get("/rooms/lobby/").content.decode()
    assert re.search(r'data-username="alice">Alice Liddell</span>\s*<span class="message-handle">@alice</span>', room)
    assert "Signed in as <strong>Alice Liddell</strong>" in room
    # Cleared: back to the username, no handle beside it.
    save_profile(alice_browser, display_name="")
    assert display_name(Profile.objects.get(user=alice).user) == "alice"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("a" * 51, "at most 50 characters"),
        ("Alice\nAdmin", "Use one line of text"),
        ("Alice\x1b[2J", "Use one line of text"),
    ],
)
def test_a_bad_display_name_is_refused_with_the_reason(alice_browser, alice, name, error):
    answer = save_profile(alice_browser, display_name=name)
    assert answer.status_code == 400 and error in answer.content.decode()
    assert "Error: Settings" in answer.content.decode()
    assert not Profile.objects.filter(user=alice).exists()


def test_an_avatar_is_re_encoded_square_small_and_without_metadata_then_removed(
    alice_browser, alice, media_root, django_capture_on_commit_callbacks
):
    save_profile(alice_browser, display_name="Alice", avatar_upload=photo())
    profile = Profile.objects.get(user=alice)
    stored = media_root / profile.avatar.name
    with Image.open(stored) as image:
        assert image.size == (AVATAR_SIZE, AVATAR_SIZE)
        assert not image.getexif() and "exif" not in image.info
        assert image.getpixel((2, AVATAR_SIZE // 2))[2] > 150  # the middle square: no yellow band
    url = f"/accounts/avatars/{alice.pk}/{profile.avatar_version}/"
    assert f'<img class="avatar avatar-large" src="{url}"' in alice_browser.get("/settings/").content.decode()
    served = alice_browser.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == stored.read_bytes()
    assert Client().get(url).status_code == 302  # to the login page

    # A new one replaces it (the old URL is gone), removal brings the initial back.
    with django_capture_on_commit_callbacks(execute=True):  # the old file goes once committed
        save_profile(alice_browser, display_name="Alice", avatar_upload=photo(fmt="PNG", name="me.png", exif=False))
    newer = Profile.objects.get(user=alice)
    assert alice_browser.get(url).status_code == 404 and not stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        save_profile(alice_browser, display_name="Alice", remove_avatar="on")
    assert not Profile.objects.get(user=alice).avatar and not (media_root / newer.avatar.name).exists()
    settings_page = alice_browser.get("/settings/").content.decode()
    assert re.search(r'<span class="avatar avatar-large avatar-initial avatar-hue-\d" data-initial="A"', settings_page)


def test_a_file_that_is_not_an_image_is_refused_and_the_old_avatar_kept(alice_browser, alice):
    save_profile(alice_browser, avatar_upload=photo())
    before = Profile.objects.get(user=alice).avatar.name
    fake = SimpleUploadedFile("me.png", b"<svg onload=alert(1)>", content_type="image/png")
    answer = save_profile(alice_browser, display_name="Alice", avatar_upload=fake)
    assert answer.status_code == 400 and "me.png is not a valid image." in answer.content.decode()
    assert Profile.objects.get(user=alice).avatar.name == before


def test_an_avatar_over_the_upload_limit_is_refused_before_decoding(alice_browser, alice, settings):
    settings.CHAT_MAX_UPLOAD_BYTES = 1000
    answer = save_profile(alice_browser, avatar_upload=photo(size=(600, 600)))
    assert answer.status_code == 400 and "too large" in answer.content.decode()


def test_a_deleted_person_takes_their_avatar_file_along(
    alice_browser, alice, media_root, django_capture_on_commit_callbacks
):
    save_profile(alice_browser, avatar_upload=photo())
    stored = media_root / Profile.objects.get(user=alice).avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()
    assert not stored.exists()


def test_mention_suggestions_and_rendered_mentions_show_the_display_name(alice_browser, alice, bob, lobby):
    Profile.objects.create(user=bob, display_name="Robert Tables")
    people = alice_browser.get("/rooms/lobby/people/?q=rob").json()["people"]
    assert people == [{"username": "bob", "name": "Robert Tables"}]
    Message.objects.post(lobby, alice, "@bob can you look?")
    room = alice_browser.get("/rooms/lobby/").content.decode()
    assert f'<span class="mention" data-user-id="{bob.pk}" title="Robert Tables">@bob</span>' in room


def test_here_now_shows_display_names_with_the_username_kept_for_the_page(alice, bob):
    from rooms import broadcasts

    Profile.objects.create(user=bob, display_name="Robert <Tables>")
    html = broadcasts.render("presence", people=[alice, bob], oob=True)
    assert f'data-username="bob" data-user-id="{bob.pk}"' in html
    assert '<span class="presence-name">Robert &lt;Tables&gt;</span>' in html
    assert '<span class="presence-name">alice</span>' in html


def test_saving_a_profile_is_broadcast_once_to_every_signed_in_page(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    from realtime import broadcast

    sent = []

    async def send(group, kind, html, **extra):
        sent.append((group, html))

    monkeypatch.setattr(broadcast, "send", send)
    with django_capture_on_commit_callbacks(execute=True):
        Profile.objects.create(user=alice, display_name="Alice <3")
    [(group, html)] = sent
    assert group == broadcast.LIST_GROUP
    assert f'data-user-id="{alice.pk}" data-username="alice"' in html
    assert '<span class="person-display-name">Alice &lt;3</span>' in html
