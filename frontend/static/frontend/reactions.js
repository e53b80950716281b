// Reactions under each message, and the palette "React" opens. The server
// renders a message's reactions once for everyone, naming who reacted in
// data-user-ids; this module presses the viewer's own (aria-pressed), on
// page load and whenever a block is replaced live. Clicking a reaction or a
// palette choice sends a react frame, which adds that emoji or takes it
// back; the new counts come back through the room's broadcast.
import { showError } from "./errors.js";
import { focusAction } from "./message-actions.js";
import { fromTemplate, me, messageNumber } from "./page.js";

const messages = document.getElementById("messages");
const NOT_CONNECTED = "Not connected right now; try again when the page says Connected.";

// The open palette, if any: {el, button (the React button that opened it;
// from a sheet, the focus goes back to the message's "⋯" instead)}.
let palette = null;
// The message whose reaction the viewer just clicked: when its button goes
// away (the last one taken back), the focus goes to its React button.
let toggled = null;

export function mark(block) {
  for (const button of block.querySelectorAll(".reaction")) {
    button.setAttribute("aria-pressed", String(button.dataset.userIds.includes(` ${me} `)));
  }
}

// Messages rendered with the page or arriving (new, edited, caught up).
export function markMessage(el) {
  const block = el.querySelector(".reactions");
  if (block) mark(block);
}

export function markArrivals(arrival) {
  arrival.shown.forEach(markMessage);
}

// A message's reactions block replaced live (htmx keeps the focus on a
// reaction button that is still there: they have ids).
export function markChanged(blocks) {
  for (const block of blocks) {
    if (!block.isConnected) continue;
    mark(block);
    const el = block.closest(".message");
    if (toggled === el.id && document.activeElement === document.body) {
      focusAction(el, el.querySelector('button[data-action="react"]'));
    }
  }
}

function react(socket, el, emoji) {
  if (!socket.react(messageNumber(el), emoji)) showError(NOT_CONNECTED);
}

function openPalette(el, button) {
  closePalette(false);
  const picker = fromTemplate("reaction-palette-template");
  picker.id = `reaction-palette-${messageNumber(el)}`;
  const input = picker.querySelector("input");
  input.id = picker.querySelector("label").htmlFor = `${picker.id}-emoji`;
  el.querySelector(".reactions").after(picker);
  button.setAttribute("aria-expanded", "true");
  button.setAttribute("aria-controls", picker.id);
  palette = { el: picker, button: button };
  picker.querySelector("button").focus();
}

function closePalette(returnFocus) {
  if (!palette) return;
  const { el, button } = palette;
  palette = null;
  el.remove();
  button.setAttribute("aria-expanded", "false");
  button.removeAttribute("aria-controls");
  if (returnFocus && button.isConnected) focusAction(button.closest(".message"), button);
}

function revision(el) {
  return Number(el.dataset.revision || 0);
}

// Broadcasts from several server processes may arrive out of order: a
// reactions block older (by the message's revision) than the one shown is
// not swapped in, so counts never step back to a state already replaced.
// A swap's preparer (Socket.prepare), after frames.nameTargets.
export function dropStale(tasks) {
  for (let i = tasks.length - 1; i >= 0; i--) {
    const task = tasks[i];
    const target = typeof task.target === "string" ? document.querySelector(task.target) : task.target;
    if (!(target instanceof Element) || !/^reactions-\d+$/.test(target.id) || !task.fragment) continue;
    const incoming = task.fragment.firstElementChild;
    if (incoming && revision(incoming) < revision(target)) tasks.splice(i, 1);
  }
}

export function start(socket) {
  messages.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const el = button.closest(".message");
    const action = button.dataset.action;
    if (action === "react") {
      if (palette && palette.button === button) closePalette(true);
      else openPalette(el, button);
    } else if (action === "react-with") {
      react(socket, el, button.dataset.emoji);
      closePalette(true);
    } else if (action === "toggle-reaction") {
      toggled = el.id;
      react(socket, el, button.dataset.emoji);
    } else if (action === "close-palette") {
      closePalette(true);
    }
  });

  // Any emoji typed: the server says when it is not one.
  messages.addEventListener("submit", (event) => {
    const form = event.target.closest(".reaction-other");
    if (!form) return;
    event.preventDefault();
    const emoji = form.elements.emoji.value.trim();
    if (!emoji) return;
    react(socket, form.closest(".message"), emoji);
    closePalette(true);
  });

  messages.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && palette && palette.el.contains(event.target)) {
      event.preventDefault();
      closePalette(true);
    }
  });
}
