// What every module may ask of the page: who is looking at it, a message's
// number, its CSRF token, and markup from the <template> elements beside the page's HTML
// (rooms/templates/rooms/room.html), so no module builds elements by hand.

// The signed-in viewer's user id, as the server writes it in data-author-id.
export const me = document.body.dataset.userId;

// #message-42 -> 42.
export function messageNumber(el) {
  return Number(el.id.slice("message-".length));
}

// A fresh copy of the one element inside <template id="...">.
export function fromTemplate(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

// For a request the page's scripts make: every signed-in page carries the
// token in its log-out form (base.html).
export function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}
