// Web Push: this browser subscribes with the server's public key (the
// <meta name="push-key"> base.html carries while push is on) and the
// subscription is saved for its person (push/views.py), who then gets
// mentions and direct messages on this device while no chat page of theirs
// is on screen. The service worker shows them.
import { csrfToken } from "./page.js";

const keyMeta = document.querySelector('meta[name="push-key"]');
const urlMeta = document.querySelector('meta[name="push-subscriptions"]');

export function available() {
  return Boolean(keyMeta && urlMeta) && "serviceWorker" in navigator && "PushManager" in window;
}

// base64url -> bytes, what applicationServerKey takes.
function bytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function sameKey(a, b) {
  if (!a) return false;
  const left = new Uint8Array(a);
  return left.length === b.length && left.every((byte, i) => byte === b[i]);
}

// Subscribe (again, when the browser's subscription is for another key:
// the server's pair changed) and save the subscription. Throws with a
// sentence for the person when it did not work.
export async function enable() {
  const registration = await navigator.serviceWorker.ready;
  const key = bytes(keyMeta.content);
  let subscription = await registration.pushManager.getSubscription();
  if (subscription && !sameKey(subscription.options.applicationServerKey, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  if (!subscription) {
    subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  }
  const response = await fetch(urlMeta.content, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(subscription.toJSON()),
  });
  if (!response.ok) {
    let reason = `The server answered ${response.status}.`;
    try {
      reason = (await response.json()).error || reason;
    } catch {
      // not JSON (a proxy's page): the status says enough
    }
    throw new Error(reason);
  }
}
