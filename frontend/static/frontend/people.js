// A person's name offers "Message <name>": the author of someone else's
// message and everyone else in "Here now". Names and avatars change live
// when their person sets new ones (applyChanges). The server renders names the same
// for everyone; this viewer's own name stays plain text. Choosing the offer
// posts the name to /dm/new/, which opens the conversation (the same one
// whenever it is the same people).
import { fromTemplate, me } from "./page.js";

const myName = document.body.dataset.username;
let open = null; // {name, menu}: the offer shown now

function close(focusName) {
  if (!open) return;
  const { name, menu } = open;
  open = null;
  menu.remove();
  name.setAttribute("aria-expanded", "false");
  if (focusName) name.focus();
}

function offer(name) {
  const again = open && open.name === name;
  close(false);
  if (again) return;
  const menu = fromTemplate("person-menu-template");
  menu.elements.with.value = name.dataset.person;
  const button = menu.querySelector("button");
  button.textContent = `Message ${name.textContent}`;
  (name.closest(".message-author") || name).after(menu); // the author's name stays just the name
  name.setAttribute("aria-expanded", "true");
  open = { name: name, menu: menu };
  button.focus();
}

// The name as a button that shows the offer (its text stays the name).
function enhance(holder, username) {
  if (!username || username === myName || holder.querySelector(".person-name")) return;
  const name = fromTemplate("person-name-template");
  name.dataset.person = username;
  name.textContent = holder.textContent;
  holder.replaceChildren(name);
}

export function enhanceMessage(el) {
  if (!el.dataset.authorId || el.dataset.authorId === me) return;
  const author = el.querySelector(".message-author");
  if (author) enhance(author, author.dataset.username);
}

export function enhanceArrivals(arrival) {
  arrival.shown.forEach(enhanceMessage);
}

export function enhancePresence() {
  for (const entry of document.querySelectorAll("#presence .presence-entry")) {
    enhance(entry.querySelector(".presence-name"), entry.dataset.username);
  }
}

// Where a person's name and avatar show: the header of each of their
// messages, and their "Here now" entry.
function placesOf(userId) {
  const id = CSS.escape(userId);
  return [
    ...document.querySelectorAll(`#messages .message[data-author-id="${id}"] .message-meta`),
    ...document.querySelectorAll(`#presence .presence-entry[data-user-id="${id}"]`),
  ];
}

// Someone set a new display name or avatar (a signal in #people-changes,
// rendered once for everyone): every place that shows them takes the new
// ones; a name that differs from the username keeps the @handle beside it.
export function applyChanges(signals) {
  for (const signal of signals) {
    signal.remove();
    const { userId, username } = signal.dataset;
    const name = signal.querySelector(".person-display-name").textContent;
    const avatar = signal.querySelector(".avatar");
    if (userId === me) document.body.dataset.displayName = name;
    for (const place of placesOf(userId)) {
      const old = place.querySelector(".avatar");
      if (old) old.replaceWith(avatar.cloneNode(true));
      const holder = place.querySelector(".message-author, .presence-name");
      (holder.querySelector(".person-name") || holder).textContent = name;
      if (!holder.matches(".message-author")) continue;
      let handle = place.querySelector(".message-handle");
      if (name === username) {
        if (handle) handle.remove();
        continue;
      }
      if (!handle) {
        handle = fromTemplate("message-handle-template");
        holder.after(handle);
      }
      handle.textContent = `@${username}`;
    }
  }
}

export function start() {
  document.addEventListener("click", (event) => {
    const name = event.target.closest(".person-name");
    if (name) {
      offer(name);
    } else if (open && !open.menu.contains(event.target)) {
      close(false);
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && open && open.menu.contains(document.activeElement)) close(true);
  });
  for (const el of document.querySelectorAll("#messages .message")) enhanceMessage(el);
  enhancePresence();
}
