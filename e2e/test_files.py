"""Files and images in the conversation (docs/using.md), as people use them:
chosen, pasted, previewed in the other person's tab, opened full size,
downloaded, refused, cancelled, and gone with their message."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from e2e.conftest import (
    LIVE_TIMEOUT_MS,
    LOOKS,
    assert_accessible,
    assert_no_horizontal_scroll,
    open_room,
    seed_conversation,
    send,
)

UPLOAD_TIMEOUT_MS = 10_000


def png(size=(320, 200), color=(30, 120, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def picture(size, top, bottom):
    """A vertical gradient with a sun: something a screenshot can show."""
    from PIL import ImageDraw

    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        mix = y / max(1, height - 1)
        draw.line([(0, y), (width, y)], fill=tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)))
    draw.ellipse([width * 0.6, height * 0.2, width * 0.8, height * 0.2 + width * 0.2], fill=(255, 214, 102))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def file(name, data, mime):
    return {"name": name, "mimeType": mime, "buffer": data}


@pytest.fixture
def alice_and_bob(make_user, sign_in):
    make_user("alice")
    make_user("bob")
    return open_room(sign_in("alice")), open_room(sign_in("bob"))


def attach(page, *files):
    page.set_input_files("#file-input", files=list(files))


def message_with_file(page, name):
    return page.locator("#messages .message", has=page.locator(f'.attachment:has-text("{name}"), img[alt="{name}"]'))


def test_an_image_chosen_in_one_tab_appears_with_its_preview_in_the_other(alice_and_bob):
    alice, bob = alice_and_bob
    attach(alice, file("sunset.png", png((1200, 800)), "image/png"), file("notes.txt", b"minutes", "text/plain"))
    expect(alice.locator("#uploads .upload-name")).to_have_text(["sunset.png", "notes.txt"])
    send(alice, "from the trip")
    for page in (alice, bob):
        message = message_with_file(page, "sunset.png")
        expect(message.locator(".message-body")).to_have_text("from the trip", timeout=UPLOAD_TIMEOUT_MS)
        preview = message.locator('.attachment img[alt="sunset.png"]')
        expect(preview).to_have_attribute("width", "480")
        expect(preview).to_have_attribute("height", "320")
        expect(message.locator(".attachment-download")).to_have_text("notes.txt 7 bytes")
    # The preview really loaded: at its announced size, so nothing shifted.
    preview = bob.locator('img[alt="sunset.png"]')
    bob.wait_for_function("img => img.complete && img.naturalWidth === 480", arg=preview.element_handle())
    # The composer is ready for the next message.
    expect(alice.locator("#message-input")).to_have_value("")
    expect(alice.locator("#uploads .upload")).to_have_count(0)

    # Click opens the full image; Escape closes it; the keyboard does the same.
    preview.click()
    viewer = bob.locator("#image-viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator("img")).to_have_attribute("alt", "sunset.png")
    bob.wait_for_function(
        "img => img.complete && img.naturalWidth === 1200", arg=viewer.locator("img").element_handle()
    )
    # It says which file it is, and saves it under that name.
    expect(viewer.get_by_role("heading", name="sunset.png")).to_be_visible()
    expect(viewer).to_have_accessible_name("sunset.png")
    assert_accessible(bob, "image viewer, desktop")
    with bob.expect_download() as saved:
        viewer.get_by_role("link", name="Download sunset.png").click()
    assert saved.value.suggested_filename == "sunset.png"
    assert Image.open(saved.value.path()).size == (1200, 800)
    expect(viewer).to_be_visible()
    bob.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    bob.locator(".attachment-open").focus()
    bob.keyboard.press("Enter")
    expect(viewer).to_be_visible()
    bob.keyboard.press("Escape")


def test_a_pasted_screenshot_is_attached_and_sent_without_a_caption(alice_and_bob):
    alice, bob = alice_and_bob
    alice.locator("#message-input").focus()
    alice.evaluate(
        """bytes => {
          const data = new DataTransfer();
          data.items.add(new File([new Uint8Array(bytes)], "screenshot.png", {type: "image/png"}));
          document.getElementById("message-input").dispatchEvent(
            new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        list(png((50, 40))),
    )
    expect(alice.locator("#uploads .upload-name")).to_have_text(["screenshot.png"])
    alice.press("#message-input", "Enter")
    expect(bob.locator('.attachment img[alt="screenshot.png"]')).to_have_attribute(
        "width", "50", timeout=UPLOAD_TIMEOUT_MS
    )


def test_files_dropped_on_the_room_are_attached(alice_and_bob):
    alice, bob = alice_and_bob
    alice.evaluate(
        """() => {
          const data = new DataTransfer();
          data.items.add(new File(["a,b"], "table.csv", {type: "text/csv"}));
          data.items.add(new File(["notes"], "notes.md", {type: "text/markdown"}));
          const messages = document.getElementById("messages");
          for (const type of ["dragenter", "dragover", "drop"]) {
            messages.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true, cancelable: true}));
          }
        }"""
    )
    expect(alice.locator("#uploads .upload-name")).to_have_text(["table.csv", "notes.md"])
    send(alice, "two files")
    expect(bob.locator(".attachment-download .attachment-name")).to_have_text(
        ["table.csv", "notes.md"], timeout=UPLOAD_TIMEOUT_MS
    )


def test_an_html_file_is_downloaded_not_rendered(alice_and_bob):
    alice, bob = alice_and_bob
    attach(alice, file("page.html", b"<h1>pwned</h1><script>document.title='pwned'</script>", "text/html"))
    send(alice, "a page")
    link = bob.locator(".attachment-download", has_text="page.html")
    expect(link).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    with bob.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "page.html"
    assert bob.url.endswith("/rooms/lobby/")
    # Opened directly, it still downloads: no browser renders it.
    response = bob.request.get(link.get_attribute("href"))
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_non_member_gets_404_for_a_private_rooms_file(make_user, sign_in):
    from rooms.models import Room

    alice = make_user("alice")
    make_user("mallory")
    room = Room.objects.create(name="Staff only", slug="staff-only", is_private=True)
    room.members.add(alice)
    page = open_room(sign_in("alice"), "staff-only")
    attach(page, file("plan.png", png(), "image/png"))
    send(page, "the plan")
    image = page.locator('.attachment img[alt="plan.png"]')
    expect(image).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    urls = [page.locator(".attachment-open").get_attribute("href"), image.get_attribute("src")]
    mallory = sign_in("mallory")
    for url in urls:
        assert page.request.get(url).status == 200
        assert mallory.request.get(url).status == 404


def test_deleting_the_message_makes_the_file_url_404(alice_and_bob):
    alice, bob = alice_and_bob
    attach(alice, file("draft.txt", b"draft", "text/plain"))
    send(alice, "short-lived file")
    link = bob.locator(".attachment-download", has_text="draft.txt")
    expect(link).to_be_visible(timeout=UPLOAD_TIMEOUT_MS)
    url = link.get_attribute("href")
    assert bob.request.get(url).status == 200
    alice.on("dialog", lambda dialog: dialog.accept())
    message = alice.locator("#messages .message", has_text="short-lived file")
    message.hover()
    message.locator('button[data-action="delete"]').click()
    expect(bob.locator(".attachment")).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    assert bob.request.get(url).status == 404


def test_a_file_that_is_not_an_image_named_png_is_refused_and_the_caption_kept(alice_and_bob):
    alice, bob = alice_and_bob
    attach(alice, file("cat.png", b"<svg onload=alert(1)>", "image/png"))
    send(alice, "my cat")
    expect(alice.locator("#chat-errors")).to_have_text("cat.png is not a valid image.", timeout=UPLOAD_TIMEOUT_MS)
    expect(alice.locator("#message-input")).to_have_value("my cat")
    expect(alice.locator("#uploads .upload-name")).to_have_text(["cat.png"])
    # Remove it, and the caption goes alone.
    alice.locator(".upload-cancel").click()
    alice.press("#message-input", "Enter")
    expect(bob.locator("#messages .message-body")).to_have_text(["my cat"], timeout=LIVE_TIMEOUT_MS)
    expect(bob.locator(".attachment")).to_have_count(0)


def test_an_upload_shows_its_progress_and_can_be_cancelled(alice_and_bob):
    from rooms.models import Message

    alice, bob = alice_and_bob
    # A slow uplink (Chromium's network emulation) so the upload takes a while.
    cdp = alice.context.new_cdp_session(alice)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 64 * 1024},
    )
    attach(alice, file("video.bin", b"\0" * (2 * 1024 * 1024), "application/octet-stream"))
    send(alice, "watch this")
    progress = alice.locator("#uploads .upload-progress")
    expect(progress).to_be_visible()
    alice.wait_for_function("bar => bar.value > 0 && bar.value < 100", arg=progress.element_handle(), timeout=10_000)
    assert_accessible(alice, "a room with an upload in progress")
    alice.locator(".upload-cancel").click()
    expect(alice.locator("#chat-errors")).to_have_text("Upload cancelled: nothing was sent.")
    expect(alice.locator("#message-input")).to_have_value("watch this")
    expect(alice.locator("#uploads .upload")).to_have_count(0)
    assert not Message.objects.exists()
    expect(bob.locator("#messages .message")).to_have_count(0)


def test_an_over_size_file_is_refused_naming_the_limit_and_the_caption_kept(server_with, make_user, sign_in):
    from rooms.models import Message

    server = server_with(CHAT_MAX_UPLOAD_BYTES=str(100 * 1024))
    make_user("alice")
    alice = open_room(sign_in("alice", server))
    alice.fill("#message-input", "the logs")
    attach(alice, file("huge.log", b"x" * (100 * 1024 + 1), "text/plain"))
    expect(alice.locator("#chat-errors")).to_have_text("huge.log is too large: files are limited to 100 KiB each.")
    expect(alice.locator("#message-input")).to_have_value("the logs")
    expect(alice.locator("#uploads .upload")).to_have_count(0)
    assert not Message.objects.exists()


def test_a_room_with_images_fits_the_screen(make_user, sign_in, screenshot):
    """The docs' picture of files in a room (docs/screenshots, make screenshots)."""
    from rooms.models import Room

    seed_conversation(Room.objects.get(slug="lobby"))
    page = open_room(sign_in("alice", **LOOKS["desktop"]))
    attach(
        page,
        file("release-dashboard.jpg", picture((1600, 900), (40, 70, 140), (230, 120, 90)), "image/jpeg"),
        file("rc3-on-device.jpg", picture((900, 1200), (20, 110, 100), (200, 220, 160)), "image/jpeg"),
        file("release-notes-2.4.pdf", b"%PDF-1.4 " + b"x" * 180_000, "application/pdf"),
    )
    send(page, "Dashboards after the rc3 rollout, and the notes for 15:00")
    images = page.locator("#messages .attachment img")
    expect(images).to_have_count(2, timeout=UPLOAD_TIMEOUT_MS)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#messages .attachment img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    expect(page.locator(".attachment-download")).to_have_text("release-notes-2.4.pdf 175.8 KiB")
    page.locator("#messages").evaluate("el => el.scrollTop = el.scrollHeight")
    assert_no_horizontal_scroll(page)
    screenshot(page, "room-files")


def test_on_s3_compatible_storage_images_load_through_signed_urls(server_with, make_user, sign_in):
    """The S3 path end to end: moto's S3 server (a real one, started here), a
    chat server configured for it, and a browser following the redirects."""
    import boto3
    from moto.server import ThreadedMotoServer

    from conftest import free_port

    port = free_port()
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    s3.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        bucket = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        bucket.create_bucket(Bucket="chat-e2e")
        server = server_with(
            AWS_STORAGE_BUCKET_NAME="chat-e2e",
            AWS_S3_ENDPOINT_URL=endpoint,
            AWS_S3_REGION_NAME="us-east-1",
            AWS_S3_ADDRESSING_STYLE="path",
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
        )
        make_user("alice")
        make_user("bob")
        alice, bob = open_room(sign_in("alice", server)), open_room(sign_in("bob", server))
        attach(alice, file("bucket.png", png((600, 300)), "image/png"))
        send(alice, "stored in the bucket")
        preview = bob.locator('.attachment img[alt="bucket.png"]')
        expect(preview).to_have_attribute("width", "480", timeout=UPLOAD_TIMEOUT_MS)
        bob.wait_for_function("img => img.complete && img.naturalWidth === 480", arg=preview.element_handle())
        keys = [item["Key"] for item in bucket.list_objects_v2(Bucket="chat-e2e")["Contents"]]
        assert len(keys) == 2  # the image and its preview
        answer = bob.request.get(preview.get_attribute("src"), max_redirects=0)
        assert answer.status == 302 and answer.headers["location"].startswith(endpoint)
    finally:
        s3.stop()
