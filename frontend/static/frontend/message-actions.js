// "Copy link" on every message, "Reply" and "React" in rooms open to posts;
// editing and deleting messages. The fragment is the same for everyone, so
// the buttons a viewer may use are added here (their own messages, within
// the edit window; staff may delete any); the server checks every request
// again. An edit's box stays open until the edited message comes back from
// the server, which replaces the whole article.
//
// Where the buttons show is the stylesheet's choice (chat.css, "A message's
// actions"): a toolbar in the message's own header line on wide screens
// with a pointer; elsewhere they open as a sheet, from the "⋯" button
// beside the time (narrow screens, the keyboard) or by tapping the message
// (touch screens). The sheet is a modal <dialog> put inside the message,
// holding the message's own toolbar while it is open: the click handlers
// here and in reactions.js and replies.js find the message around the
// button as always. A tap outside it, Escape or Close closes it.
import { focusComposer } from "./composer.js";
import { clearErrors, showError } from "./errors.js";
import { fromTemplate, me, messageNumber } from "./page.js";

const room = document.getElementById("room");
const messages = document.getElementById("messages");
const EDIT_WINDOW_MS = Number(room.dataset.editWindow || 0) * 1000;
const isStaff = room.hasAttribute("data-staff");
const isArchived = room.hasAttribute("data-archived");
const NOT_CONNECTED = "Not connected right now; try again when the page says Connected.";

// The message being edited, if any.
let editing = null;
// The open sheet, if any: {dialog, el (its message), actions (the toolbar it holds), menuButton}.
let sheet = null;
// Where there is no hovering (a touch screen), a tap on a message opens its actions.
const TOUCH = window.matchMedia("(hover: none), (pointer: coarse)");
// What a tap may land on without meaning "this message's actions".
const OWN_TAP = "a, button, input, textarea, select, label, summary, .edit-form, .reaction-palette, .message-sheet";

function editDeadline(el) {
  const time = el.querySelector("time[datetime]");
  return time ? new Date(time.getAttribute("datetime")).getTime() + EDIT_WINDOW_MS : 0;
}

function actionButton(templateId, el) {
  const button = fromTemplate(templateId);
  // Several messages carry these buttons: say which one each is for.
  const author = el.querySelector(".message-author");
  const time = el.querySelector(".message-meta time");
  const when = time && time.textContent ? ` at ${time.textContent}` : "";
  // data-label: what the button does, where its text alone reads badly ("React to").
  const does = button.dataset.label || button.textContent;
  button.setAttribute("aria-label", `${does} message from ${author ? author.textContent : "someone"}${when}`);
  return button;
}

// After time.js has put the time of day in the viewer's locale (the labels name it).
export function addActions(el) {
  const mine = el.dataset.authorId === me;
  const actions = fromTemplate("message-actions-template");
  el.querySelector(".message-meta").append(actions, actionButton("message-menu-button-template", el));
  // Replying and reacting: replies.js and reactions.js handle these.
  if (!isArchived) actions.append(actionButton("reply-button-template", el), actionButton("react-button-template", el));
  actions.append(actionButton("copy-link-button-template", el));
  if (!mine && !isStaff) return;
  const left = editDeadline(el) - Date.now();
  if (mine && left > 0) {
    const edit = actionButton("edit-button-template", el);
    actions.append(edit);
    setTimeout(() => edit.remove(), left);
  }
  actions.append(actionButton("delete-button-template", el));
}

// A button of a message's actions, or its "⋯" when the toolbar is not shown
// (the focus goes back there once what the button opened is done).
export function focusAction(el, button) {
  const target =
    button && button.isConnected && button.checkVisibility() ? button : el.querySelector(".message-menu-button");
  if (target) target.focus();
}

function openSheet(el) {
  closeSheet();
  const actions = el.querySelector(".message-meta .message-actions");
  if (!actions) return;
  const dialog = fromTemplate("message-sheet-template");
  const author = el.querySelector(".message-author");
  const time = el.querySelector(".message-meta time");
  dialog.querySelector(".message-sheet-title").textContent = [
    author && author.textContent.trim(),
    time && time.textContent,
  ]
    .filter(Boolean)
    .join(" · ");
  const body = el.querySelector(".message-body");
  dialog.querySelector(".message-sheet-quote").textContent = body ? body.textContent.trim() : "";
  dialog.querySelector(".message-sheet-close").before(actions);
  el.append(dialog);
  // Marked while its sheet is open (the modal dialog keeps :hover and
  // :focus-within off the message): it stays highlighted, its "⋯" shown.
  el.classList.add("sheet-open");
  const menuButton = el.querySelector(".message-menu-button");
  menuButton.setAttribute("aria-expanded", "true");
  sheet = { dialog: dialog, el: el, actions: actions, menuButton: menuButton };
  dialog.addEventListener("close", () => putBack(dialog));
  dialog.showModal();
  if (!TOUCH.matches) placeBeside(dialog, menuButton);
}

// With a pointer, the sheet is a menu beside the button that opened it:
// under it, or above it when the screen ends first, within the screen.
function placeBeside(dialog, opener) {
  const at = opener.getBoundingClientRect();
  const size = dialog.getBoundingClientRect();
  const margin = 8;
  const left = Math.min(Math.max(margin, at.right - size.width), window.innerWidth - size.width - margin);
  const below = at.bottom + 4;
  const top = below + size.height <= window.innerHeight - margin ? below : Math.max(margin, at.top - 4 - size.height);
  dialog.style.setProperty("--sheet-left", `${left}px`);
  dialog.style.setProperty("--sheet-top", `${top}px`);
}

// A click on a modal dialog's backdrop is a click on the dialog, outside its box.
function outside(dialog, event) {
  const box = dialog.getBoundingClientRect();
  return event.clientX < box.left || event.clientX > box.right || event.clientY < box.top || event.clientY > box.bottom;
}

function closeSheet() {
  if (!sheet) return;
  const dialog = sheet.dialog;
  dialog.close();
  putBack(dialog);
}

// The toolbar goes back where it lives, before the "⋯" (which the browser
// gives the focus back to, when it opened the sheet). Once: on closeSheet(),
// or on the dialog's close event (Escape).
function putBack(dialog) {
  if (!sheet || sheet.dialog !== dialog) return;
  const { el, actions, menuButton } = sheet;
  sheet = null;
  el.classList.remove("sheet-open");
  menuButton.before(actions);
  menuButton.setAttribute("aria-expanded", "false");
  dialog.remove();
}

// The permalink: /rooms/<slug>/messages/<id>/.
async function copyLink(el, button) {
  const url = new URL(room.dataset.messageUrl.replace(/\/0\/$/, `/${messageNumber(el)}/`), location.href).href;
  try {
    await navigator.clipboard.writeText(url);
  } catch {
    showError(`Could not copy the link; here it is: ${url}`);
    return;
  }
  const label = button.textContent;
  button.textContent = "Link copied";
  setTimeout(() => {
    button.textContent = label;
  }, 2000);
}

export function actOnArrivals(arrival) {
  for (const el of arrival.shown) {
    addActions(el);
    // The edited message is back: the box it replaced is gone.
    if (editing && editing.id === el.id && editing !== el) {
      editing = null;
      focusComposer();
    }
  }
}

async function startEdit(el) {
  if (editing) cancelEdit();
  const body = el.querySelector(".message-body");
  let text;
  try {
    const response = await fetch(room.dataset.sourceUrl.replace(/\/0\/source\/$/, `/${messageNumber(el)}/source/`), {
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(response.status === 403 ? "You can only edit your own messages." : "");
    text = await response.text();
  } catch (error) {
    showError(error.message || "Could not load the message to edit it; try again in a moment.");
    return;
  }
  if (!el.isConnected) return;
  const form = fromTemplate("edit-form-template");
  form.dataset.original = text;
  const input = form.elements.message;
  input.value = text;
  input.id = form.querySelector("label").htmlFor = `edit-${el.id}`;
  body.hidden = true;
  body.after(form);
  editing = el;
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}

function cancelEdit() {
  if (!editing) return;
  const form = editing.querySelector(".edit-form");
  if (form) form.remove();
  const body = editing.querySelector(".message-body");
  if (body) body.hidden = false;
  editing = null;
  focusComposer();
}

export function start(socket) {
  // First of the click handlers on #messages (room-page.js starts this
  // module before reactions.js and replies.js): an action chosen in the
  // sheet closes it before the action opens what it opens. "Copy link"
  // keeps it open, to say "Link copied".
  messages.addEventListener("click", (event) => {
    const inSheet = sheet && sheet.dialog.contains(event.target);
    if (
      inSheet &&
      ((event.target === sheet.dialog && outside(sheet.dialog, event)) || event.target.closest(".message-sheet-close"))
    ) {
      closeSheet();
      return;
    }
    const menuButton = event.target.closest(".message-menu-button");
    if (menuButton) {
      openSheet(menuButton.closest(".message"));
      return;
    }
    const button = event.target.closest("button[data-action]");
    if (!button) {
      const tapped = event.target.closest(".message");
      if (TOUCH.matches && tapped && !event.target.closest(OWN_TAP) && window.getSelection().isCollapsed) {
        openSheet(tapped);
      }
      return;
    }
    if (inSheet && button.dataset.action !== "copy-link") closeSheet();
    const el = button.closest(".message");
    if (button.dataset.action === "copy-link") {
      copyLink(el, button);
    } else if (button.dataset.action === "edit") {
      startEdit(el);
    } else if (button.dataset.action === "cancel-edit") {
      cancelEdit();
    } else if (button.dataset.action === "delete" && window.confirm("Delete this message for everyone?")) {
      if (!socket.delete(messageNumber(el))) showError(NOT_CONNECTED);
    }
  });

  messages.addEventListener("submit", (event) => {
    const form = event.target.closest(".edit-form");
    if (!form) return;
    event.preventDefault();
    const el = form.closest(".message");
    const text = form.elements.message.value;
    if (text === form.dataset.original) {
      cancelEdit();
    } else if (socket.edit(messageNumber(el), text)) {
      // Sent again on reconnect until the edited message comes back, like
      // unconfirmed messages: an edit of the same text twice changes nothing.
      form.dataset.sent = text;
      clearErrors();
    } else {
      showError(NOT_CONNECTED);
    }
  });

  messages.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && event.target.closest(".edit-form")) cancelEdit();
  });

  // Up arrow in an empty composer edits one's latest message, as in most chats.
  room.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowUp" || event.target.id !== "message-input" || event.target.value) return;
    const mine = Array.from(messages.querySelectorAll(".message.mine")).pop();
    if (mine && mine.querySelector('button[data-action="edit"]')) {
      event.preventDefault();
      startEdit(mine);
    }
  });

  socket.on("open", () => {
    const sent = editing && editing.querySelector(".edit-form[data-sent]");
    if (sent) socket.edit(messageNumber(editing), sent.dataset.sent);
  });

  // A refused edit is not sent again on reconnect (the box stays open to fix it).
  socket.on("errors", (said) => {
    const refused = said.find((el) => el.matches("[data-refused-edit]"));
    if (refused && editing && messageNumber(editing) === Number(refused.dataset.refusedEdit)) {
      const form = editing.querySelector(".edit-form");
      if (form) delete form.dataset.sent;
    }
  });
}
