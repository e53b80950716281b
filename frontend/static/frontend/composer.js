// The composer (#message-form). hx-ws sends its form; this module gives
// each message a client id, clears the box for the next one once hx-ws has
// read it, and puts refused text back in the box so nothing is lost. What
// was sent and has not come back yet waits in the history (pending.js).
import { clearErrors } from "./errors.js";
import { setText } from "./message-box.js";

const room = document.getElementById("room");

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

export function start(socket) {
  // The composer may be replaced live (room archived, then reopened), so
  // this handler lives on #room. Each message gets an id of its own before
  // hx-ws reads the form (capture phase runs first), so the server can tell
  // a resent frame from a new message.
  room.addEventListener(
    "submit",
    (event) => {
      const composer = event.target;
      if (composer.elements.client_id && !composer.elements.client_id.value) {
        composer.elements.client_id.value = newClientId();
      }
    },
    true,
  );

  // hx-ws has collected the form's values by now: clear the box for the
  // next message and keep the cursor in it.
  socket.on("post", (post) => {
    clearErrors();
    setText(post.form.elements.message, "");
    post.form.elements.client_id.value = "";
    post.form.elements.message.focus();
  });

  // A refused message comes back with its text: put it back in the box
  // (unless something new was typed meanwhile).
  socket.on("errors", (said) => {
    const refused = said.find((el) => el.matches("[data-unsent]"));
    const composer = form();
    if (refused && composer && composer.elements.message.value === "") {
      setText(composer.elements.message, refused.dataset.unsent);
      composer.elements.message.focus();
    }
  });

  // Reconnecting cannot help: there is nowhere to send a message to.
  socket.on("close", (close) => {
    if (close.final && form()) form().remove();
  });
}
