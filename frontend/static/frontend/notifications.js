// A mention arriving live while the tab is hidden becomes a notification,
// once per message. Browsers ask for permission only from a click: the
// button is offered while the answer is still open.
import { me } from "./page.js";

const EXCERPT = 140;
const room = document.getElementById("room");
const button = document.getElementById("enable-notifications");
const notified = new Set();

function canNotify() {
  return "Notification" in window && Notification.permission === "granted";
}

function notify(el) {
  if (!el.classList.contains("mentions-me") || el.dataset.authorId === me || notified.has(el.id)) return;
  if (!document.hidden || !canNotify()) return;
  notified.add(el.id);
  const author = el.querySelector(".message-author").textContent.trim();
  let excerpt = el.querySelector(".message-body").textContent.trim().replace(/\s+/g, " ");
  if (excerpt.length > EXCERPT) excerpt = excerpt.slice(0, EXCERPT - 1) + "…";
  const notification = new Notification(`${author} mentioned you in #${room.dataset.room}`, { body: excerpt, tag: el.id });
  notification.onclick = () => {
    window.focus();
    el.scrollIntoView({ block: "center" });
    notification.close();
  };
}

// Marked by viewer.js first: a message that mentions this viewer has .mentions-me.
export function notifyArrivals(arrival) {
  arrival.news.forEach(notify);
}

function offer() {
  button.hidden = !("Notification" in window) || Notification.permission !== "default";
}

export function start() {
  button.addEventListener("click", () => {
    Promise.resolve(Notification.requestPermission()).then(offer, offer);
  });
  offer();
}
