// Times in the viewer's locale and time zone, and what depends on them: a
// message's time of day and "5 minutes ago", grouping (.continued: same
// author within 5 minutes, same day), and a heading before each day. The
// server sends <time datetime> in UTC; grouping and headings depend on the
// neighbours and on the clock, so they are worked out again after every
// change in #messages and every 30 s.
import { fromTemplate } from "./page.js";

const GROUP_WITHIN_MS = 5 * 60 * 1000;
const RELATIVE_FOR_MS = 60 * 60 * 1000;

const messages = document.getElementById("messages");
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
});
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

// When each message was sent, read once from its <time datetime>.
const sentAt = new WeakMap();

function localDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

function capitalised(text) {
  return text.charAt(0).toLocaleUpperCase() + text.slice(1);
}

function dayLabel(date, now) {
  const days = Math.round((localDay(now) - localDay(date)) / 86400000);
  return days === 0 || days === 1 ? capitalised(relativeFormat.format(-days, "day")) : dayFormat.format(date);
}

// "" once the message is an hour old: the time of day says it better then.
function agoLabel(date, now) {
  const age = now - date;
  if (age >= RELATIVE_FOR_MS) return "";
  if (age < 45 * 1000) return relativeFormat.format(0, "second");
  return relativeFormat.format(-Math.round(age / 60000), "minute");
}

// The time of day in the viewer's locale, the full date as a tooltip, and
// an empty "… ago" beside it for arrange() to fill.
export function format(el) {
  const time = el.querySelector("time[datetime]");
  if (time) {
    const when = new Date(time.getAttribute("datetime"));
    if (!isNaN(when)) {
      sentAt.set(el, when);
      time.textContent = timeFormat.format(when);
      time.title = fullFormat.format(when);
      const ago = fromTemplate("time-ago-template");
      ago.title = time.title;
      time.after(ago);
    }
  }
  const edited = el.querySelector("[data-edited-at]");
  if (edited) {
    const when = new Date(edited.dataset.editedAt);
    if (!isNaN(when)) edited.title = "Edited " + fullFormat.format(when);
  }
}

function setDayHeading(el, label) {
  let heading = el.querySelector(":scope > .day-separator");
  if (label === null) {
    if (heading) heading.remove();
    return;
  }
  if (!heading) {
    heading = fromTemplate("day-heading-template");
    el.prepend(heading);
  }
  if (heading.firstElementChild.textContent !== label) heading.firstElementChild.textContent = label;
}

export function arrange() {
  const now = new Date();
  let previous = null;
  for (const el of messages.querySelectorAll(":scope > .message")) {
    const when = sentAt.get(el);
    if (!when) continue;
    const newDay = !previous || localDay(sentAt.get(previous)).getTime() !== localDay(when).getTime();
    setDayHeading(el, newDay ? dayLabel(when, now) : null);
    const gap = previous ? when - sentAt.get(previous) : -1;
    el.classList.toggle(
      "continued",
      !newDay && previous.dataset.authorId === el.dataset.authorId && gap >= 0 && gap < GROUP_WITHIN_MS,
    );
    // Screen readers keep the time of day: a live region would announce
    // every tick of "3 minutes ago".
    const ago = agoLabel(when, now);
    el.querySelector(".message-meta time").classList.toggle("visually-hidden", ago !== "");
    const agoShown = el.querySelector(".time-ago");
    if (agoShown.textContent !== ago) agoShown.textContent = ago;
    previous = el;
  }
}

export function formatArrivals(arrival) {
  arrival.shown.forEach(format);
}

// "… ago" and "Today" change with the clock.
export function start() {
  arrange();
  setInterval(arrange, 30 * 1000);
}
