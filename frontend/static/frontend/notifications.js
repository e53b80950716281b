// What arrives live while the tab is hidden becomes a notification, once per
// message, when the viewer's level in its room lets it through (the same
// rule the server's pushes and emails follow, notifications/preferences.py):
// "All messages" every message, "Mentions only" mentions of the viewer, a
// muted room nothing. Without a choice a conversation notifies of every
// message and a room of mentions. On the room's own page the message itself
// is shown; elsewhere its room-list signal. Browsers ask for permission
// only from a click: the button is offered while the answer is still open,
// and once allowed this device also subscribes to pushes (push.js).
import { me } from "./page.js";
import * as push from "./push.js";
import { onMessageHeard } from "./room-list.js";

const EXCERPT = 140;
const room = document.getElementById("room"); // null on /
const direct = Boolean(room && "direct" in room.dataset);
const button = document.getElementById("enable-notifications");
const notified = new Set();

function canNotify() {
  return "Notification" in window && Notification.permission === "granted";
}

// "all", "mentions" or "muted": the viewer's choice for the room, as
// #notify-levels says (the server replaces it on every page when they
// choose again), else the default of its kind.
function levelOf(roomId, isDirect) {
  const levels = document.getElementById("notify-levels");
  for (const level of ["muted", "all", "mentions"]) {
    if (levels && levels.dataset[level].split(" ").includes(String(roomId))) return level;
  }
  return isDirect ? "all" : "mentions";
}

function reaches(roomId, isDirect, mentionsMe) {
  const level = levelOf(roomId, isDirect);
  return level === "all" || (level === "mentions" && mentionsMe);
}

function show(title, body, tag, onclick) {
  notified.add(tag);
  // The tag is the one a push of the same message has (the service worker):
  // one replaces the other instead of showing twice.
  const notification = new Notification(title, { body: body, tag: tag });
  notification.onclick = () => {
    window.focus();
    onclick();
    notification.close();
  };
}

function notify(el) {
  const mentionsMe = el.classList.contains("mentions-me");
  if (el.dataset.authorId === me || notified.has(el.id) || !reaches(room.dataset.roomId, direct, mentionsMe)) return;
  if (!document.hidden || !canNotify()) return;
  const author = el.querySelector(".message-author").textContent.trim();
  let excerpt = el.querySelector(".message-body").textContent.trim().replace(/\s+/g, " ");
  if (excerpt.length > EXCERPT) excerpt = excerpt.slice(0, EXCERPT - 1) + "…";
  const title = direct
    ? `${author} (direct message)`
    : mentionsMe
      ? `${author} mentioned you in #${room.dataset.room}`
      : `${author} in #${room.dataset.room}`;
  show(title, excerpt, el.id, () => el.scrollIntoView({ block: "center" }));
}

// Marked by viewer.js first: a message that mentions this viewer has .mentions-me.
export function notifyArrivals(arrival) {
  arrival.news.forEach(notify);
}

// A message in a room or conversation this page is not showing (counted as unread by room-list.js).
function notifyListed(entry, messageId, mentionsMe) {
  const tag = "message-" + messageId;
  const isDirect = entry.dataset.kind === "direct";
  if (!document.hidden || !canNotify() || notified.has(tag) || !reaches(entry.dataset.roomId, isDirect, mentionsMe))
    return;
  const link = entry.querySelector("a");
  const name = entry.querySelector(".room-name").textContent.trim();
  const title = isDirect
    ? `New direct message: ${name}`
    : mentionsMe
      ? `New mention in ${name}`
      : `New message in ${name}`;
  show(title, `Open the ${isDirect ? "conversation" : "room"} to read it.`, tag, () => link.click());
}

function offer() {
  button.hidden = !("Notification" in window) || Notification.permission !== "default";
}

export function start() {
  onMessageHeard(notifyListed);
  if (!button) return;
  button.addEventListener("click", () => {
    Promise.resolve(Notification.requestPermission()).then((answer) => {
      offer();
      // And on this device while the chat is closed, where the server pushes.
      if (answer === "granted" && push.available()) push.enable().catch((error) => console.warn(error.message));
    }, offer);
  });
  offer();
}
