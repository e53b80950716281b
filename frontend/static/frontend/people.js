// A person's name offers "Message <name>": the author of someone else's
// message and everyone else in "Here now". The server renders names the same
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
  button.textContent = `Message ${name.dataset.person}`;
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
  if (author) enhance(author, author.textContent.trim());
}

export function enhanceArrivals(arrival) {
  arrival.shown.forEach(enhanceMessage);
}

export function enhancePresence() {
  for (const entry of document.querySelectorAll("#presence .presence-entry")) enhance(entry, entry.dataset.username);
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
