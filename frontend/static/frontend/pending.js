// Messages on their way. A message sent through the socket shows at once
// at the end of the history, "Sending…", until the server's copy comes back
// with the same client id and takes its place. While the connection is down
// such entries wait there, in the order they were sent, and each time the
// socket opens they are sent again (the client id makes the server post each
// one once, however often it hears it): never lost, never twice. The server
// may refuse one (too long, too fast): its entry then says "Not sent" and
// why, with "Try again" and "Discard" (composer.js also puts the text back
// in the box if the box is empty). Sending the same text again from the box
// replaces a refused entry.
import { setText } from "./message-box.js";
import { fromTemplate } from "./page.js";

const messages = document.getElementById("messages");
const myName = document.body.dataset.displayName;
// client id -> {text, replyTo, el, failed}, in the order sent.
const waiting = new Map();

function box() {
  const form = document.getElementById("message-form");
  return form && form.elements.message;
}

function add(post) {
  for (const [clientId, sent] of waiting) if (sent.failed && sent.text === post.text) discard(clientId);
  const el = fromTemplate("pending-message-template");
  el.dataset.clientId = post.clientId;
  el.querySelector(".pending-author").textContent = myName;
  el.querySelector(".pending-body").textContent = post.text;
  waiting.set(post.clientId, { text: post.text, replyTo: post.replyTo, el: el, failed: false });
  messages.append(el);
  messages.scrollTop = messages.scrollHeight; // one's own message, on screen
}

function fail(clientId, reason, canRetry) {
  const sent = waiting.get(clientId);
  if (!sent || sent.failed) return;
  sent.failed = true;
  sent.el.classList.add("failed");
  sent.el.querySelector(".pending-state").textContent = "Not sent";
  const unsent = fromTemplate("unsent-template");
  unsent.querySelector(".unsent-reason").textContent = reason;
  if (!canRetry) unsent.querySelector('[data-action="retry-send"]').remove();
  sent.el.append(unsent);
}

function retry(clientId, socket) {
  const sent = waiting.get(clientId);
  if (!sent || !sent.failed) return;
  sent.failed = false;
  sent.el.classList.remove("failed");
  sent.el.querySelector(".pending-state").textContent = "Sending…";
  sent.el.querySelector(".unsent").remove();
  // The text went back in the box when it was refused: it is sent from here instead.
  const composer = box();
  if (composer && composer.value === sent.text) setText(composer, "");
  socket.resend(sent.text, clientId, sent.replyTo); // not open: sent when it opens
}

function discard(clientId) {
  const sent = waiting.get(clientId);
  if (!sent) return;
  waiting.delete(clientId);
  sent.el.remove();
}

// First of the "messages" handlers: an entry whose message arrived goes;
// the others stay last, after what just arrived, so that history.js orders
// the messages among themselves.
export function settleArrivals(arrival) {
  for (const el of [...arrival.added, ...arrival.older, ...arrival.newer, ...arrival.replaced]) {
    if (el.dataset.clientId) discard(el.dataset.clientId);
  }
  const entries = Array.from(waiting.values(), (sent) => sent.el);
  if (entries.length === 0) return;
  let next = entries[0];
  while (next && next.classList.contains("pending-message")) next = next.nextElementSibling;
  if (next) messages.append(...entries);
}

export function start(socket) {
  socket.on("post", add);
  socket.on("open", () => {
    for (const [clientId, sent] of waiting) if (!sent.failed) socket.resend(sent.text, clientId, sent.replyTo);
  });
  socket.on("errors", (said) => {
    const refused = said.find((el) => el.matches("[data-unsent][data-client-id]"));
    if (refused) fail(refused.dataset.clientId, refused.textContent.trim(), true);
  });
  // Reconnecting cannot help (signed out, room archived or gone): say so on each.
  socket.on("close", (close) => {
    if (!close.final) return;
    const reason = document.getElementById("connection").textContent;
    for (const clientId of waiting.keys()) fail(clientId, reason, false);
  });
  messages.addEventListener("click", (event) => {
    const button = event.target.closest(".pending-message button[data-action]");
    if (!button) return;
    const clientId = button.closest(".pending-message").dataset.clientId;
    if (button.dataset.action === "retry-send") retry(clientId, socket);
    else if (button.dataset.action === "discard-unsent") discard(clientId);
  });
}
