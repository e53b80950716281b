{% autoescape off %}// The chat's service worker (frontend/views.py serves it at /service-worker.js,
// its configuration written in below). It keeps the shell (styles, scripts,
// icons) for fast and offline loads, shows the offline page when a
// navigation finds no network, and shows Web Push notifications (push/).
//
// Pages themselves are never kept: a room's HTML holds messages and a CSRF
// token, so navigations always go to the network, and only the offline
// page, rendered for nobody in particular, stands in for them.
const CONFIG = {{ config }};
const CACHE = "chat-shell-" + CONFIG.version;
const SHELL = new Set(CONFIG.shell);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // Without cookies: the copy kept must not be anyone's page.
    await cache.add(new Request(CONFIG.offline, { credentials: "omit" }));
    await cache.addAll(CONFIG.shell);
    await self.skipWaiting();
  })());
});

// The new shell replaces the old: caches of earlier versions go.
self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("chat-shell-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function offlinePage() {
  const cache = await caches.open(CACHE);
  return (await cache.match(CONFIG.offline)) || Response.error();
}

async function fromShell(request) {
  const cache = await caches.open(CACHE);
  if (CONFIG.immutable) {
    return (await cache.match(request)) || fetch(request);
  }
  // Plain names (DEBUG): the file may have changed; the cache is for offline.
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request);
    if (kept) return kept;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(offlinePage));
  } else if (SHELL.has(url.pathname)) {
    event.respondWith(fromShell(request));
  }
});

// --- Web Push (push/sender.py writes the payload) ----------------------------------------

// The notification's words, from the payload (push/sender.py): who wrote,
// where ("# Lobby", or a conversation's people), and the start of the text
// (absent when the server keeps message text out of pushes).
function describe(data) {
  const title = data.mention ? `${data.author} mentioned you in ${data.room}`
    : data.direct ? `${data.author} (direct message)` : `${data.author} in ${data.room}`;
  return { title: title, body: data.text || "Open the chat to read it." };
}

self.addEventListener("push", (event) => {
  let data;
  try {
    data = event.data && event.data.json();
  } catch {
    data = null;
  }
  if (!data || !data.url) return;
  const { title, body } = describe(data);
  // The tag a hidden tab's own notification of the message has (notifications.js):
  // one replaces the other instead of showing twice.
  event.waitUntil(self.registration.showNotification(title, {
    body: body, tag: data.tag, icon: CONFIG.icon, data: { url: data.url },
  }));
});

// The message's link, in a tab of the chat that shows it already, or a new one.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  const url = target.origin === self.location.origin ? target.href : new URL("/", self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const showing = windows.find((client) => client.url === url);
    if (showing) return showing.focus();
    return self.clients.openWindow(url);
  })());
});
{% endautoescape %}
