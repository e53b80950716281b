// Per-viewer marks. The server renders each message once, the same for
// everyone (`data-author-id`, `<span class="mention" data-user-id>`); this
// viewer's own messages (.mine) and mentions of them (.mention-me on the
// mention, .mentions-me on the message) are marked here.
import { me } from "./page.js";

export function mark(el) {
  if (el.dataset.authorId === me) el.classList.add("mine");
  let mentioned = false;
  for (const span of el.querySelectorAll(".message-body .mention")) {
    const forMe = span.dataset.userId === me;
    span.classList.toggle("mention-me", forMe);
    mentioned = mentioned || forMe;
  }
  el.classList.toggle("mentions-me", mentioned);
}

export function markArrivals(arrival) {
  arrival.shown.forEach(mark);
}
