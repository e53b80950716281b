// The room's error line (#chat-errors, role="alert"): what the page itself
// has to say. The server's refusals land there too, swapped in by htmx.
import { fromTemplate } from "./page.js";

const errors = document.getElementById("chat-errors");

export function showError(text) {
  const p = fromTemplate("chat-error-template");
  p.textContent = text;
  errors.replaceChildren(p);
}

export function clearErrors() {
  errors.replaceChildren();
}
