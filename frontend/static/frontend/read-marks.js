// The room page's own unread bookkeeping. Its messages arrive through its
// own socket (the server sends no activity for this room to it): those that
// arrive while nobody is looking are counted in the sidebar and the tab's
// title (tab.js), and when the newest message is actually on screen the
// server is told how far this room has been read; every page of this user
// follows.
import { count } from "./room-list.js";
import { me, messageNumber } from "./page.js";
import * as tab from "./tab.js";

// A read mark is sent at once, then at most once per this many ms.
const THROTTLE_MS = 1000;

const room = document.getElementById("room");
const messages = document.getElementById("messages");

let sentRead = 0;
let lastSentAt = 0;
let timer = null;

function reading() {
  return (
    document.visibilityState === "visible" && messages.scrollHeight - messages.scrollTop - messages.clientHeight < 80
  );
}

function newestShown() {
  const shown = messages.querySelectorAll(".message");
  return shown.length ? messageNumber(shown[shown.length - 1]) : 0;
}

let socket = null;

function markRead() {
  if (!reading()) return;
  tab.read(); // at once, connected or not
  if (!socket || !socket.isOpen) return;
  const newest = newestShown();
  if (newest <= sentRead) return;
  const wait = lastSentAt + THROTTLE_MS - Date.now();
  if (wait > 0) {
    if (!timer)
      timer = setTimeout(() => {
        timer = null;
        markRead();
      }, wait);
    return;
  }
  sentRead = newest;
  lastSentAt = Date.now();
  socket.read(newest);
}

// After history.js has moved the view (reading() depends on where it is)
// and viewer.js has marked mentions of this viewer.
export function countArrivals(arrival) {
  if (!reading()) {
    for (const el of arrival.news) {
      if (el.dataset.authorId !== me)
        count(room.dataset.roomId, messageNumber(el), el.classList.contains("mentions-me"));
      tab.arrived(el);
    }
  }
  markRead();
}

export function start(roomSocket) {
  socket = roomSocket;
  socket.on("open", markRead);

  // Leaving right after a message arrived: send the mark the throttle held back.
  window.addEventListener("pagehide", () => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
      lastSentAt = 0;
      markRead();
    }
  });
  messages.addEventListener("scroll", markRead, { passive: true });
  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("focus", markRead);
}
