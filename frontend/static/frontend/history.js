// The conversation in #messages: each message in its place by id and shown
// once, older history loaded above without moving what the reader is
// reading, the view kept at the bottom while the reader is there, and a
// "new messages" pill while they read further up. Every time the socket
// opens it asks for what the page missed.
//
// A page opened at a permalink (/rooms/<slug>/messages/<id>/) shows a window
// of history ending in #load-newer until the reader scrolls to the present.
// Its socket is open all along (presence, edits and deletions of what it
// shows, the composer), but live messages land after that link, beyond the
// gap: they are dropped, the catch-up sync starts from the room's newest
// message when the page was made (data-latest), and once the newest page is
// in, a sync from the newest message shown fills whatever arrived meanwhile
// (ids drop the repeats): nothing missed, nothing twice.
//
// "Jump to latest" shows while the newest message is not loaded (a
// permalink's window) or the reader is more than a screen above it, unless
// the "new messages" pill already offers the way down. Short of the present
// it swaps the room's latest page in for the whole window, from where the
// page syncs as above; otherwise it scrolls to the bottom.
import { showError } from "./errors.js";
import { me, messageNumber } from "./page.js";

const room = document.getElementById("room");
const messages = document.getElementById("messages");
const pill = document.getElementById("new-messages");
const jump = document.getElementById("jump-to-latest");
// How close to the bottom counts as "at the bottom", in pixels.
const NEAR_BOTTOM_PX = 80;

let stick = true;
let unseen = 0;
// Where the text being read was, while a page of older history goes in above it.
let olderAnchor = null;

function nearBottom() {
  return messages.scrollHeight - messages.scrollTop - messages.clientHeight < NEAR_BOTTOM_PX;
}

function showUnseen() {
  pill.hidden = unseen === 0;
  const text = unseen === 1 ? "1 new message ↓" : unseen + " new messages ↓";
  if (pill.textContent !== text) pill.textContent = text;
  showJump();
}

function gap() {
  return document.getElementById("load-newer");
}

function showJump() {
  const screenAway = messages.scrollHeight - messages.scrollTop - messages.clientHeight > messages.clientHeight;
  jump.hidden = !pill.hidden || !(gap() || screenAway);
}

function toBottom() {
  messages.scrollTop = messages.scrollHeight;
  unseen = 0;
  showUnseen();
}

function jumpToLatest() {
  // The control goes away under the keyboard's focus: the history keeps it.
  messages.focus({ preventScroll: true });
  if (!gap()) {
    toBottom();
    return;
  }
  htmx
    .ajax("GET", jump.dataset.latestPage, { target: "#messages", swap: "innerHTML" })
    .catch(() => showError("Could not load the latest messages; check your connection and try again."));
}

// Broadcasts from several processes may arrive out of id order, and a
// catch-up may repeat a message already shown: the id decides both.
function place(el) {
  const twins = messages.querySelectorAll("#" + CSS.escape(el.id));
  if (twins.length > 1) {
    el.remove();
    return;
  }
  const n = messageNumber(el);
  let before = el.previousElementSibling;
  while (before && before.classList.contains("message") && messageNumber(before) > n) {
    before = before.previousElementSibling;
  }
  if (before !== el.previousElementSibling) {
    messages.insertBefore(el, before ? before.nextElementSibling : messages.firstElementChild);
  }
}

function beyondGap(el) {
  const link = gap();
  return link !== null && (link.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
}

// Before the DOM changes. Older history goes in above the reader: keep the
// text they were reading where it was (its day heading may move up to the
// older page, so the message's own box is not the anchor). Newer history
// goes in below it: the same anchor keeps the view where it is.
export function noteReadingPlace(arrival) {
  if (!arrival.olderPage && !arrival.newerPage) return;
  const body = messages.querySelector(":scope > .message .message-body");
  olderAnchor = { body: body, top: body ? body.getBoundingClientRect().top : 0 };
}

// First of the handlers: the ones after it see each message in its place, once.
export function placeArrivals(arrival) {
  for (const el of arrival.added) {
    if (!el.isConnected || !beyondGap(el)) continue;
    el.remove();
    // One's own message sent from the past is saved: go to the present to see it.
    if (el.dataset.authorId === me && el.dataset.clientId)
      location.assign(room.dataset.messageUrl.replace(/messages\/0\/$/, ""));
  }
  for (const el of [...arrival.older, ...arrival.newer, ...arrival.latest, ...arrival.added, ...arrival.replaced]) {
    if (el.isConnected) place(el);
  }
}

// The last page of newer history is in, or the latest page: from here the
// live stream appends.
export function reachedPresent(arrival) {
  return (arrival.newerPage || arrival.latestPage) && !gap();
}

// Last of the layout handlers: after the others have changed the messages' heights.
export function followArrivals(arrival) {
  if (arrival.latestPage) {
    stick = true;
    unseen = 0;
  }
  if (!stick) unseen += arrival.news.filter((el) => !el.classList.contains("mine")).length;
  showUnseen();
  if (olderAnchor !== null) {
    if (olderAnchor.body) messages.scrollTop += olderAnchor.body.getBoundingClientRect().top - olderAnchor.top;
    olderAnchor = null;
  } else if (stick) {
    messages.scrollTop = messages.scrollHeight;
  }
}

// Every time the socket opens (first load, reconnect after a drop, a tab
// the browser froze or a phone suspended) ask for what this page missed:
// the messages after its newest one, and edits and deletions among those
// it shows.
export function syncRoom(socket) {
  const shown = Array.from(messages.querySelectorAll(".message"), messageNumber);
  // Short of the present, what lies beyond the gap is loaded by scrolling.
  const link = gap();
  const after = link ? Number(link.dataset.latest) : shown.length ? Math.max(...shown) : 0;
  // The newest 1000 shown are enough to find deletions a reader may notice.
  const known = shown.slice(-1000);
  // Edited messages say which revision this page shows; newer ones come back.
  // A reaction is a revision too, and live it replaces only the message's
  // reactions block: the newer of the two counts.
  const revised = {};
  for (const el of messages.querySelectorAll(".message[data-revision], .message .reactions[data-revision]")) {
    const pk = messageNumber(el.closest(".message"));
    revised[pk] = Math.max(revised[pk] || 0, Number(el.dataset.revision));
  }
  socket.syncRoom(after, known, revised);
}

export function start() {
  pill.addEventListener("click", toBottom);
  jump.addEventListener("click", (event) => {
    event.preventDefault();
    jumpToLatest();
  });
  messages.addEventListener(
    "scroll",
    () => {
      stick = nearBottom();
      if (stick && unseen) unseen = 0;
      showUnseen();
    },
    { passive: true },
  );
  messages.scrollTop = messages.scrollHeight;
  const linked = messages.querySelector(".message-linked");
  if (linked) linked.scrollIntoView({ block: "center" });
  showJump();
}
