// "New message" opens the people picker in a dialog (the same form as the
// /dm/new/ page, which the link leads to without JavaScript): people are
// found by name as one types (htmx swaps the results in), and "Start
// conversation" posts the picked people and opens the conversation.
const dialog = document.getElementById("new-message-dialog");

function outside(element, event) {
  const box = element.getBoundingClientRect();
  return event.clientX < box.left || event.clientX > box.right || event.clientY < box.top || event.clientY > box.bottom;
}

export function start() {
  if (!dialog) return;
  const search = dialog.querySelector("#people-q");
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-action=new-message]");
    if (link) {
      event.preventDefault();
      dialog.showModal();
      search.focus();
      // The first people, before anything is typed.
      search.dispatchEvent(new Event("search"));
    } else if (event.target.closest("[data-action=close-dialog]")) {
      dialog.close();
    } else if (event.target === dialog && outside(dialog, event)) {
      dialog.close(); // a click on the backdrop
    }
  });
}
