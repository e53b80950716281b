// "alice is typing…", both ways. Signals arrive as hidden spans in
// #typing-signals; each lasts 5 s after the last one, or until that person's
// message arrives. Never our own. Our own keystrokes send one signal at once,
// then at most one every 3 s, and one at once again after each message sent
// (which ended it on the other pages); the server throttles too.
import { me } from "./page.js";

const SHOWN_MS = 5000;
const SEND_EVERY_MS = 3000;

const room = document.getElementById("room");
const line = document.getElementById("typing");
const typists = new Map(); // user id -> {name, until}
let timer = null;
let lastSent = 0;

function show() {
  const now = Date.now();
  for (const [id, typist] of typists) if (typist.until <= now) typists.delete(id);
  const names = Array.from(typists.values(), (typist) => typist.name).sort();
  line.textContent =
    names.length === 0
      ? ""
      : names.length === 1
        ? `${names[0]} is typing…`
        : names.length <= 3
          ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are typing…`
          : "Several people are typing…";
  clearTimeout(timer);
  if (typists.size) {
    const next = Math.min(...Array.from(typists.values(), (typist) => typist.until));
    timer = setTimeout(show, Math.max(0, next - now) + 50);
  }
}

// A message ends its author's "is typing".
export function stopForArrivals(arrival) {
  let stopped = false;
  for (const el of arrival.shown) stopped = typists.delete(el.dataset.authorId) || stopped;
  if (stopped) show();
}

export function start(socket) {
  socket.on("typing", (signals) => {
    for (const signal of signals) {
      if (signal.dataset.userId !== me) {
        typists.set(signal.dataset.userId, { name: signal.dataset.name, until: Date.now() + SHOWN_MS });
      }
      signal.remove();
    }
    show();
  });

  room.addEventListener("input", (event) => {
    if (event.target.id !== "message-input" || !event.target.value) return;
    if (!socket.isOpen || Date.now() - lastSent < SEND_EVERY_MS) return;
    lastSent = Date.now();
    socket.typing();
  });

  // A message just sent: the next keystroke is news again.
  socket.on("post", () => {
    lastSent = 0;
  });
}
