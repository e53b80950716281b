// Changing a message box's text as if it were typed: the browser's own
// editing command, so Ctrl+Z takes the change back and every "input"
// listener (the counter, "is typing", suggestions) hears of it.

// `text` in place of box.value[start:end], the caret after it.
export function replaceText(box, start, end, text) {
  box.focus();
  box.setSelectionRange(start, end);
  if (!document.execCommand("insertText", false, text)) {
    // A browser without the command for text fields: the same change, without undo.
    box.setRangeText(text, start, end, "end");
    box.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: text }));
  }
}
