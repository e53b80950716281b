// Emoji shortcodes in the message boxes: ":tada:" becomes 🎉 as its closing
// colon is typed, and ":ta" finds the shortcodes that start so (for
// completions.js). The names are the server's own (rooms/shortcodes.py,
// served at #room[data-emoji-url] and kept by the browser until the emoji
// data changes), fetched when a box is first used. Code between backticks
// keeps what is typed, as the server keeps it when the message is saved.

const room = document.getElementById("room");
// A shortcode starts a word (not "key:x:value", not after a backslash).
const CLOSED = /(?<![\p{L}\p{N}_\\]):([^\s:`]+):$/u;
const OPENED = /(?<![\p{L}\p{N}_\\]):([\p{L}\p{N}_+-]{2,})$/u;

let table = null; // Map name -> emoji
let names = []; // the names, shortest first
let loading = null;

export function load() {
  if (!loading && room.dataset.emojiUrl) {
    loading = fetch(room.dataset.emojiUrl, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(response.statusText))))
      .then((data) => {
        table = new Map(Object.entries(data));
        names = Array.from(table.keys()).sort((a, b) => a.length - b.length || a.localeCompare(b));
      })
      .catch(() => {
        loading = null;
      }); // offline: the next use tries again, the server converts anyway
  }
  return loading || Promise.resolve();
}

// Whether the end of `before` (the text before the caret) is inside code:
// an open ``` block, or an open ` span.
export function inCode(before) {
  if (before.split("```").length % 2 === 0) return true;
  return before.replaceAll("```", "").split("`").length % 2 === 0;
}

// The shortcode `before` ends with ({start, emoji}), if it names an emoji
// outside code.
export function closedShortcode(before) {
  const match = CLOSED.exec(before);
  if (!match || !table || !table.has(match[1])) return null;
  const start = before.length - match[0].length;
  return inCode(before.slice(0, start)) ? null : { start: start, emoji: table.get(match[1]) };
}

// The shortcode being typed at the end of `before` ({start, prefix}): ":ta".
export function openShortcode(before) {
  const match = OPENED.exec(before);
  if (!match) return null;
  const start = before.length - match[0].length;
  return inCode(before.slice(0, start)) ? null : { start: start, prefix: match[1] };
}

// Up to `count` [name, emoji] whose name starts with `prefix` (any case),
// shortest first, one name per emoji.
export function matching(prefix, count) {
  const wanted = prefix.toLowerCase();
  const found = [];
  const seen = new Set();
  for (const name of names) {
    if (found.length >= count) break;
    const emoji = table.get(name);
    if (name.toLowerCase().startsWith(wanted) && !seen.has(emoji)) {
      seen.add(emoji);
      found.push([name, emoji]);
    }
  }
  return found;
}
