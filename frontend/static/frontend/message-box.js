// The message boxes: the composer and an edit's box, both <textarea>s.
// Enter sends (an edit: saves), Shift+Enter makes a new line, and the Enter
// that ends an input method's composition only ends it. A box grows with
// its text up to a few lines, then scrolls (CSS field-sizing; measured here
// for a browser without it). ":tada:" becomes 🎉 as it is typed (emoji.js),
// and suggestions (completions.js) have the keys while their list is open.
//
// Text is never cut at the limit (data-max-length: the server's
// CHAT_MAX_MESSAGE_LENGTH, counted in characters as the server counts
// them): near it the box's counter says how many are left, over it how many
// too many, and sending is refused with a clear message, the text kept in
// the box. Screen readers hear the counter when it crosses one of those
// lines, not at every keystroke.
import { replaceText } from "./box-text.js";
import * as completions from "./completions.js";
import * as emoji from "./emoji.js";
import { showError } from "./errors.js";

const room = document.getElementById("room");
// The counter shows from this share of the limit on.
const NEAR = 0.9;
const SIZES_ITSELF = CSS.supports("field-sizing", "content");
const CARET_KEYS = ["ArrowLeft", "ArrowRight", "Home", "End"];

function isBox(el) {
  return el instanceof HTMLTextAreaElement && "maxLength" in el.dataset;
}

// Characters as the server counts them: an emoji is one, not two.
function length(text) {
  return [...text].length;
}

function grow(box) {
  if (SIZES_ITSELF) return;
  box.style.height = "auto";
  box.style.height = `${box.scrollHeight + box.offsetHeight - box.clientHeight}px`; // max-height caps it
}

function showLength(box) {
  const counter = box.form && box.form.querySelector(".length-counter");
  if (!counter) return;
  const limit = Number(box.dataset.maxLength);
  const count = length(box.value);
  const state = count > limit ? "over" : count >= limit * NEAR ? "near" : "";
  const shown = counter.querySelector(".length-left");
  shown.hidden = state === "";
  shown.textContent =
    state === "over"
      ? `${count - limit} characters over the limit of ${limit}`
      : state === "near"
        ? `${limit - count} characters left`
        : "";
  counter.classList.toggle("over", state === "over");
  box.setAttribute("aria-invalid", String(state === "over"));
  if (state !== (counter.dataset.state || "")) {
    const said = counter.querySelector(".length-said");
    const back = counter.dataset.state === "over" ? "Back within the limit" : "";
    said.textContent =
      state === "over"
        ? `Over the limit of ${limit} characters.`
        : state === "near"
          ? (back ? `${back}: ` : "") + `${limit - count} characters left.`
          : back && `${back}.`;
    counter.dataset.state = state;
  }
}

function refresh(box) {
  grow(box);
  showLength(box);
}

// Put `text` in the box (sent: empty; refused: the text back), as the page does, not the person.
export function setText(box, text) {
  box.value = text;
  refresh(box);
}

// An edit's box comes from a template: name its list and counter for it.
function describe(box) {
  const list = box.form.querySelector('[role="listbox"]');
  if (list && !list.id) list.id = `${box.id}-completions`;
  if (list) box.setAttribute("aria-controls", list.id);
  const left = box.form.querySelector(".length-left");
  if (left && !left.id) left.id = `${box.id}-length`;
  if (left) box.setAttribute("aria-describedby", left.id);
}

function onKeydown(event) {
  if (!isBox(event.target)) return;
  if (completions.handleKey(event)) {
    // Nothing else hears it: Escape closes the list, not the reply or the edit.
    event.preventDefault();
    event.stopPropagation();
    return;
  }
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  event.target.form.requestSubmit();
}

// A colon was just typed at `at`: the shortcode it closes becomes its emoji,
// also when the emoji table arrives a few keystrokes later.
function convertShortcode(box, at) {
  const before = box.value.slice(0, at);
  emoji.load().then(() => {
    const shortcode = emoji.closedShortcode(before);
    if (!shortcode || !box.value.startsWith(before) || box.selectionStart !== box.selectionEnd) return;
    const caret = box.selectionStart;
    replaceText(box, shortcode.start, at, shortcode.emoji); // heard as typing, like the colon
    if (caret > at) {
      const kept = caret - (at - shortcode.start) + shortcode.emoji.length;
      box.setSelectionRange(kept, kept);
    }
  });
}

function onInput(event) {
  const box = event.target;
  if (!isBox(box)) return;
  if (event.inputType === "insertText" && event.data && event.data.endsWith(":") && !event.isComposing) {
    convertShortcode(box, box.selectionStart);
  }
  completions.update(box);
  refresh(box);
}

// Refused before anything leaves the page: over the limit, or only spaces.
function onSubmit(event) {
  const box = event.target.elements && event.target.elements.message;
  if (!isBox(box)) return;
  const count = length(box.value);
  const limit = Number(box.dataset.maxLength);
  let refusal = null;
  if (count > limit) {
    refusal = `Messages are limited to ${limit} characters (this one has ${count}): shorten it, or send it in parts.`;
  } else if (box.required && !box.value.trim()) {
    refusal = "Type a message before sending.";
  }
  if (refusal === null) return;
  event.preventDefault();
  event.stopImmediatePropagation(); // not sent, not given a client id, not uploaded
  showError(refusal);
  box.focus();
}

export function start() {
  completions.start();
  // Capture on #room: before hx-ws, the composer's and the edits' own
  // handlers (boxes come and go: the composer is replaced live, edits are made on demand).
  room.addEventListener("keydown", onKeydown, true);
  room.addEventListener("submit", onSubmit, true);
  room.addEventListener("input", onInput);
  room.addEventListener("keyup", (event) => {
    if (isBox(event.target) && CARET_KEYS.includes(event.key)) completions.update(event.target);
  });
  room.addEventListener("click", (event) => {
    if (isBox(event.target)) completions.update(event.target);
  });
  room.addEventListener("focusin", (event) => {
    if (!isBox(event.target)) return;
    describe(event.target);
    refresh(event.target);
    emoji.load();
  });
  for (const box of room.querySelectorAll("textarea")) if (isBox(box)) refresh(box);
  if (document.getElementById("message-form")) emoji.load(); // the composer is the page's focus
}
