// "/" (outside a text field) or Ctrl+K / Cmd+K (anywhere) focuses the search
// box in the top bar, as in most chats.
const box = document.querySelector("#search input[name=q]");

function typingInto(target) {
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

if (box) {
  document.addEventListener("keydown", (event) => {
    const slash = event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typingInto(event.target);
    const ctrlK = event.key.toLowerCase() === "k" && (event.ctrlKey || event.metaKey) && !event.altKey;
    if (!slash && !ctrlK) return;
    event.preventDefault();
    box.focus();
    box.select();
  });
}
