"""The installable app in Chromium: a manifest whose icons load, a service
worker that registers for the whole site, and the offline page it shows
once the network is gone."""

from playwright.sync_api import expect

from e2e.conftest import open_room

# Resolves once the page's service worker is active: its scope, and whether it controls the page.
WORKER_READY = """async () => {
  const registration = await navigator.serviceWorker.ready;
  return {scope: registration.scope, active: registration.active.state};
}"""


def test_the_manifest_is_valid_and_its_icons_and_the_favicon_load(make_user, sign_in, server):
    make_user("alice")
    page = open_room(sign_in("alice"))
    href = page.locator('link[rel="manifest"]').get_attribute("href")
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"] == "application/manifest+json"
    manifest = response.json()
    assert {key: manifest[key] for key in ("name", "short_name", "start_url", "display")} == {
        "name": "Chat",
        "short_name": "Chat",
        "start_url": "/",
        "display": "standalone",
    }
    assert page.request.get(manifest["start_url"]).ok
    purposes = set()
    for icon in manifest["icons"]:
        fetched = page.request.get(icon["src"])
        assert fetched.ok and fetched.headers["content-type"] == "image/png", icon
        purposes.add(icon["purpose"])
    assert purposes == {"any", "maskable"}
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    favicon = page.request.get("/favicon.ico")
    assert favicon.ok and favicon.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    # The browser reads the same manifest (what an install prompt uses).
    assert (
        page.evaluate("() => document.querySelector('link[rel=manifest]').href") == f"{server.url}/manifest.webmanifest"
    )


def test_the_service_worker_registers_for_the_whole_site(make_user, sign_in, server):
    make_user("alice")
    page = open_room(sign_in("alice"))
    worker = page.evaluate(WORKER_READY)
    assert worker == {"scope": f"{server.url}/", "active": "activated"}


def test_without_network_a_navigation_shows_the_offline_page_and_try_again_comes_back(make_user, sign_in, server):
    make_user("alice")
    context = sign_in("alice")
    page = open_room(context)
    page.evaluate(WORKER_READY)
    page.reload()  # now under the worker's control
    page.wait_for_selector('#room[data-ws="open"]')
    assert page.evaluate("() => Boolean(navigator.serviceWorker.controller)")

    context.set_offline(True)
    page.goto("/rooms/lobby/")
    expect(page.locator("h1")).to_have_text("You are offline")
    expect(page).to_have_title("Offline · Chat")
    # Styled from the kept shell: the card has the stylesheet's rounded corners.
    assert page.locator("#offline").evaluate("el => getComputedStyle(el).borderTopLeftRadius") != "0px"
    assert page.locator(".account").count() == 0  # nobody's page: no name, no forms

    context.set_offline(False)
    page.get_by_role("link", name="Try again").click()
    page.wait_for_selector('#room[data-ws="open"]')
    expect(page).to_have_url(f"{server.url}/rooms/lobby/")
