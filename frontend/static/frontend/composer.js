// The message box. hx-ws sends its form; this module gives each message a
// client id, clears the box for the next one, keeps what was sent until it
// comes back (sending it again after a reconnect), and puts refused text
// back in the box so nothing is lost.
import { clearErrors } from "./errors.js";

const room = document.getElementById("room");

// Messages sent but not yet seen back from the server ({text, replyTo}), by client id. A
// socket can die after a frame left the browser and before the server
// handled it: these are sent again on every reconnect, and the client id
// makes the server post each one once.
const unconfirmed = new Map();

function form() {
  return document.getElementById("message-form");
}

export function focusComposer() {
  const composer = form();
  if (composer) composer.elements.message.focus();
}

function newClientId() {
  return window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
}

// A message of ours is back: the server has it.
export function confirmArrivals(arrival) {
  for (const el of arrival.shown) if (el.dataset.clientId) unconfirmed.delete(el.dataset.clientId);
}

export function start(socket) {
  // The composer may be replaced live (room archived, then reopened), so
  // this handler lives on #room. Each message gets an id of its own before
  // hx-ws reads the form (capture phase runs first), so the server can tell
  // a resent frame from a new message.
  room.addEventListener("submit", (event) => {
    const composer = event.target;
    if (composer.elements.client_id && !composer.elements.client_id.value) {
      composer.elements.client_id.value = newClientId();
    }
  }, true);

  // hx-ws has collected the form's values by now: clear the box for the
  // next message and keep the cursor in it.
  socket.on("post", (post) => {
    unconfirmed.set(post.clientId, { text: post.text, replyTo: post.replyTo });
    clearErrors();
    post.form.elements.message.value = "";
    post.form.elements.client_id.value = "";
    post.form.elements.message.focus();
  });

  socket.on("open", () => {
    for (const [clientId, sent] of unconfirmed) socket.resend(sent.text, clientId, sent.replyTo);
  });

  // A refused message comes back with its text: put it back in the box
  // (unless something new was typed meanwhile).
  socket.on("errors", (said) => {
    const refused = said.find((el) => el.matches("[data-unsent]"));
    if (!refused) return;
    if (refused.dataset.clientId) unconfirmed.delete(refused.dataset.clientId);
    const composer = form();
    if (composer && composer.elements.message.value === "") {
      composer.elements.message.value = refused.dataset.unsent;
      composer.elements.message.focus();
    }
  });

  // Reconnecting cannot help: there is nowhere to send a message to.
  socket.on("close", (close) => {
    if (close.final && form()) form().remove();
  });
}
