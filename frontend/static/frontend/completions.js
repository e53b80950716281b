// Suggestions while typing in a message box, as a combobox: "@al" offers
// the people who can read this room whose name starts so (the server's
// answer: #room[data-people-url]), ":ta" the emoji whose shortcode does
// (emoji.js). The list (role="listbox", beside the box) opens under the
// box's aria-expanded; ArrowDown and ArrowUp move through it
// (aria-activedescendant), Enter or Tab picks (the first one when none is
// chosen yet), Escape closes it; a click or a tap picks too. Picking puts
// "@alice " or the emoji in place of what was typed. While the list is open
// it has the keys: Enter never sends then.
import { replaceText } from "./box-text.js";
import * as emoji from "./emoji.js";
import { fromTemplate } from "./page.js";

const room = document.getElementById("room");
const SHOWN = 8;
// "@" starting a word, then the start of a username (Django's: letters,
// digits and @.+-_), as formatting.py reads mentions.
const MENTION = /(?<![\p{L}\p{N}_.@+-])@([\p{L}\p{N}_.+-]*)$/u;
// People asked for, by what was typed after "@" (this page's lifetime).
const peopleFound = new Map();
const ASK_AFTER_MS = 80;

let open = null; // {box, list, start, options: [{insert, el}], active}
let asking = null; // {timer, controller}

function listOf(box) {
  return box.form && box.form.querySelector('[role="listbox"]');
}

export function close() {
  if (!open) return;
  const { box, list } = open;
  open = null;
  list.hidden = true;
  list.replaceChildren();
  box.setAttribute("aria-expanded", "false");
  box.removeAttribute("aria-activedescendant");
}

function choose(n) {
  open.active = n;
  open.options.forEach((option, index) => option.el.setAttribute("aria-selected", String(index === n)));
  const el = open.options[n].el;
  open.box.setAttribute("aria-activedescendant", el.id);
  el.scrollIntoView({ block: "nearest" });
}

function pick(n) {
  const { box, start, options } = open;
  const insert = options[n].insert;
  const end = box.selectionStart;
  close();
  replaceText(box, start, end, insert);
}

// Offer `items` ([{main, detail, insert}]) for the text from `start` to the caret.
function show(box, start, kind, items) {
  const list = listOf(box);
  if (!list || items.length === 0) {
    close();
    return;
  }
  const options = items.map((item, n) => {
    const el = fromTemplate("completion-template");
    el.id = `${list.id}-${n}`;
    el.querySelector(".completion-main").textContent = item.main;
    el.querySelector(".completion-detail").textContent = item.detail;
    return { insert: item.insert, el: el };
  });
  list.setAttribute("aria-label", kind);
  list.dataset.kind = kind;
  list.replaceChildren(...options.map((option) => option.el));
  list.hidden = false;
  box.setAttribute("aria-expanded", "true");
  box.removeAttribute("aria-activedescendant");
  open = { box: box, list: list, start: start, options: options, active: -1 };
}

function offerPeople(box, start, typed, people) {
  show(
    box,
    start,
    "People",
    people.map((person) => ({
      main: person.name,
      detail: person.name === person.username ? "" : `@${person.username}`,
      insert: `@${person.username} `,
    })),
  );
}

function askForPeople(box, start, typed) {
  if (peopleFound.has(typed)) {
    offerPeople(box, start, typed, peopleFound.get(typed));
    return;
  }
  const url = new URL(room.dataset.peopleUrl, location.href);
  url.searchParams.set("q", typed);
  const controller = new AbortController();
  asking = {
    controller: controller,
    timer: setTimeout(async () => {
      let people;
      try {
        const response = await fetch(url, { credentials: "same-origin", signal: controller.signal });
        if (!response.ok) return;
        people = (await response.json()).people;
      } catch {
        return; // offline, or typing went on: nothing to offer
      }
      peopleFound.set(typed, people);
      // Still what is being typed in that box?
      const now = wanted(box);
      if (document.activeElement === box && now && now.kind === "people" && now.typed === typed) {
        offerPeople(box, start, typed, people);
      }
    }, ASK_AFTER_MS),
  };
}

function stopAsking() {
  if (!asking) return;
  clearTimeout(asking.timer);
  asking.controller.abort();
  asking = null;
}

// What the text before the caret asks for, if anything.
function wanted(box) {
  if (box.selectionStart !== box.selectionEnd) return null;
  const before = box.value.slice(0, box.selectionStart);
  const mention = MENTION.exec(before);
  if (mention && !emoji.inCode(before)) {
    return { kind: "people", start: before.length - mention[0].length, typed: mention[1] };
  }
  const shortcode = emoji.openShortcode(before);
  return shortcode && { kind: "emoji", start: shortcode.start, typed: shortcode.prefix };
}

// The box's text or caret changed: offer what fits, or close.
export function update(box) {
  stopAsking();
  const asked = wanted(box);
  if (!asked) {
    close();
  } else if (asked.kind === "people") {
    if (room.dataset.peopleUrl) askForPeople(box, asked.start, asked.typed);
  } else {
    emoji.load().then(() => {
      const now = wanted(box);
      if (!now || now.kind !== "emoji" || now.typed !== asked.typed) return;
      show(
        box,
        now.start,
        "Emoji",
        emoji.matching(now.typed, SHOWN).map(([name, character]) => ({
          main: character,
          detail: `:${name}:`,
          insert: character,
        })),
      );
    });
  }
}

// A key pressed in a message box: true when the open list took it.
export function handleKey(event) {
  if (!open || event.target !== open.box) return false;
  const count = open.options.length;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const step = event.key === "ArrowDown" ? 1 : -1;
    choose(open.active === -1 ? (step === 1 ? 0 : count - 1) : (open.active + step + count) % count);
  } else if ((event.key === "Enter" && !event.isComposing) || (event.key === "Tab" && !event.shiftKey)) {
    pick(Math.max(open.active, 0));
  } else if (event.key === "Escape") {
    close();
  } else {
    return false;
  }
  return true;
}

export function start() {
  // A press on an option must not take the focus from the box.
  room.addEventListener("mousedown", (event) => {
    if (event.target.closest('[role="option"]')) event.preventDefault();
  });
  room.addEventListener("click", (event) => {
    const option = event.target.closest('[role="option"]');
    if (!open || !option || !open.list.contains(option)) return;
    pick(open.options.findIndex((each) => each.el === option));
  });
  room.addEventListener("focusout", (event) => {
    if (open && event.target === open.box) close();
  });
}
