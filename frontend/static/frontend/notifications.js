// What arrives live while the tab is hidden becomes a notification, once per
// message: a mention of this viewer, and every new direct message (on the
// conversation's own page the message itself; elsewhere its room-list
// signal). Browsers ask for permission only from a click: the button is
// offered while the answer is still open.
import { me } from "./page.js";
import { onDirectMessage } from "./room-list.js";

const EXCERPT = 140;
const room = document.getElementById("room"); // null on /
const direct = Boolean(room && "direct" in room.dataset);
const button = document.getElementById("enable-notifications");
const notified = new Set();

function canNotify() {
  return "Notification" in window && Notification.permission === "granted";
}

function show(title, body, tag, onclick) {
  notified.add(tag);
  const notification = new Notification(title, { body: body, tag: tag });
  notification.onclick = () => {
    window.focus();
    onclick();
    notification.close();
  };
}

function notify(el) {
  if (!(direct || el.classList.contains("mentions-me")) || el.dataset.authorId === me || notified.has(el.id)) return;
  if (!document.hidden || !canNotify()) return;
  const author = el.querySelector(".message-author").textContent.trim();
  let excerpt = el.querySelector(".message-body").textContent.trim().replace(/\s+/g, " ");
  if (excerpt.length > EXCERPT) excerpt = excerpt.slice(0, EXCERPT - 1) + "…";
  const title = direct ? `${author} (direct message)` : `${author} mentioned you in #${room.dataset.room}`;
  show(title, excerpt, el.id, () => el.scrollIntoView({ block: "center" }));
}

// Marked by viewer.js first: a message that mentions this viewer has .mentions-me.
export function notifyArrivals(arrival) {
  arrival.news.forEach(notify);
}

// A direct message in a conversation this page is not showing (counted as unread by room-list.js).
function notifyDirect(entry, messageId) {
  const tag = "message-" + messageId;
  if (!document.hidden || !canNotify() || notified.has(tag)) return;
  const link = entry.querySelector("a");
  const names = entry.querySelector(".room-name").textContent.trim();
  show(`New direct message: ${names}`, "Open the conversation to read it.", tag, () => link.click());
}

function offer() {
  button.hidden = !("Notification" in window) || Notification.permission !== "default";
}

export function start() {
  onDirectMessage(notifyDirect);
  if (!button) return;
  button.addEventListener("click", () => {
    Promise.resolve(Notification.requestPermission()).then(offer, offer);
  });
  offer();
}
