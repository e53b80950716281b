// Replies. "Reply" on a message puts a quote of it (author, start of the
// text, a link to it) above the composer and names it in the composer's
// reply_to field, which hx-ws sends with the message; "Cancel reply" or
// Escape in the box drops it. The sent message comes back with its quote
// rendered by the server, which also keeps quotes current when the
// original is edited or deleted (rooms/templates/rooms/room.html#reply-quote).
import { focusComposer } from "./composer.js";
import { fromTemplate, messageNumber } from "./page.js";

const room = document.getElementById("room");
const messages = document.getElementById("messages");
// As long as the server's quotes (rooms/models/message.py QUOTE_LENGTH).
const QUOTE_LENGTH = 80;

// Replies sent and not seen back, by client id -> their quote above the
// composer: put back with the text if the server refuses the message.
const sent = new Map();

function form() {
  return document.getElementById("message-form");
}

function preview() {
  return document.getElementById("reply-preview");
}

function quoteOf(text) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > QUOTE_LENGTH ? flat.slice(0, QUOTE_LENGTH - 1) + "…" : flat;
}

function showQuote(quote, pk) {
  const composer = form();
  if (!composer) return;
  cancelReply(false);
  composer.before(quote);
  composer.elements.reply_to.value = pk;
  focusComposer();
}

export function startReply(el) {
  const quote = fromTemplate("reply-preview-template");
  const pk = messageNumber(el);
  quote.querySelector("a").href = room.dataset.messageUrl.replace(/\/0\/$/, `/${pk}/`);
  quote.querySelector(".reply-quote-author").textContent = el.querySelector(".message-author").textContent;
  quote.querySelector(".reply-quote-text").textContent = quoteOf(el.querySelector(".message-body").textContent);
  quote.dataset.replyTo = pk;
  showQuote(quote, pk);
}

function cancelReply(focus) {
  const quote = preview();
  if (quote) quote.remove();
  const composer = form();
  if (composer) composer.elements.reply_to.value = "";
  if (focus) focusComposer();
}

export function start(socket) {
  messages.addEventListener("click", (event) => {
    const button = event.target.closest('button[data-action="reply"]');
    if (button) startReply(button.closest(".message"));
  });
  room.addEventListener("click", (event) => {
    if (event.target.closest('[data-action="cancel-reply"]')) cancelReply(true);
  });
  room.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && event.target.id === "message-input" && preview()) {
      event.preventDefault();
      cancelReply(true);
    }
  });

  // hx-ws has read the form: the next message is not a reply unless asked again.
  socket.on("post", (post) => {
    if (!post.replyTo) return;
    const quote = preview();
    if (quote) sent.set(post.clientId, quote);
    cancelReply(false);
  });

  socket.on("messages", (arrival) => {
    for (const el of arrival.shown) if (el.dataset.clientId) sent.delete(el.dataset.clientId);
  });

  // A refused reply: its text goes back in the box (composer.js), its quote above it.
  socket.on("errors", (said) => {
    const refused = said.find((el) => el.matches("[data-unsent][data-client-id]"));
    const quote = refused && sent.get(refused.dataset.clientId);
    if (!quote) return;
    sent.delete(refused.dataset.clientId);
    if (!preview()) showQuote(quote, quote.dataset.replyTo);
  });
}
