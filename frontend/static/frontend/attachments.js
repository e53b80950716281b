// Files in the conversation (docs/using.md): choosing them (the attach
// button, dropping them on the room, pasting an image), sending them with
// the caption typed in the message box as one message, and opening an
// image full size.
//
// Uploads go by XMLHttpRequest, not fetch (which htmx 4 uses): fetch reports
// no progress of what it sends, XMLHttpRequest's `upload` does. The files of
// one message go in one multipart POST (files/views.py), so the message is
// saved with all of its files or not at all; each file's bar shows its own
// share of that body, as the browser sends the parts in order. The message
// itself arrives through the socket like any other (with its client id, so
// the composer knows it is ours); a refusal keeps the caption and the files
// and says why in #chat-errors.
import { clearErrors, showError } from "./errors.js";
import { setText } from "./message-box.js";
import { csrfToken, fromTemplate } from "./page.js";

const room = document.getElementById("room");
let pending = []; // [{file, el}] in the order chosen
let sending = null; // the XMLHttpRequest in flight
let batch = []; // the entries it carries (files added meanwhile wait for the next message)

const FAILED = "The upload failed: check your connection and try again. Your message and files are still here.";
// When the answer is not one of the view's plain-text refusals (a proxy's
// or Django's own error page), what it means for the sender.
const BY_STATUS = {
  403: "Your session has expired: reload the page and try again.",
  404: "This room is gone, or you no longer have access to it.",
};

function refusal(xhr) {
  const type = xhr.getResponseHeader("Content-Type") || "";
  if (type.startsWith("text/plain") && xhr.responseText) return xhr.responseText;
  if (xhr.status === 413) return `These files are too large: files are limited to ${picker().dataset.maxSize} each.`;
  return BY_STATUS[xhr.status] || FAILED;
}

function form() {
  return document.getElementById("message-form");
}

function picker() {
  return document.getElementById("file-input");
}

function list() {
  return document.getElementById("uploads");
}

// The same words as the server's (core/text.py describe_size).
function describeSize(size) {
  for (const [unit, scale] of [
    ["GiB", 2 ** 30],
    ["MiB", 2 ** 20],
    ["KiB", 2 ** 10],
  ]) {
    if (size >= scale) return `${(size / scale).toFixed(1).replace(/\.0$/, "")} ${unit}`;
  }
  return `${size} byte${size === 1 ? "" : "s"}`;
}

// With files, the caption may stay empty.
function syncRequired() {
  const composer = form();
  if (composer) composer.elements.message.required = pending.length === 0;
}

function add(files) {
  const input = picker();
  if (!input || !list()) return;
  const maxBytes = Number(input.dataset.maxBytes);
  const maxFiles = Number(input.dataset.maxFiles);
  for (const file of files) {
    // Refused at once, before any byte is sent: the server would say the same.
    if (file.size > maxBytes) {
      showError(`${file.name} is too large: files are limited to ${input.dataset.maxSize} each.`);
      continue;
    }
    if (pending.length >= maxFiles) {
      showError(`At most ${maxFiles} files can go in one message.`);
      break;
    }
    const el = fromTemplate("upload-template");
    el.querySelector(".upload-name").textContent = file.name;
    el.querySelector(".upload-size").textContent = describeSize(file.size);
    el.querySelector(".upload-progress").setAttribute("aria-label", `Uploading ${file.name}`);
    el.querySelector(".upload-cancel").setAttribute("aria-label", `Remove ${file.name}`);
    const entry = { file: file, el: el };
    el.querySelector(".upload-cancel").addEventListener("click", () => remove(entry));
    pending.push(entry);
    list().append(el);
  }
  syncRequired();
}

// Before sending, a file leaves the list; while sending, cancelling one of
// its files stops the whole message's upload (nothing is saved) and leaves
// that file out.
function remove(entry) {
  if (sending && batch.includes(entry)) sending.abort();
  pending = pending.filter((each) => each !== entry);
  entry.el.remove();
  syncRequired();
  const composer = form();
  if (composer) composer.elements.message.focus();
}

function newClientId() {
  return window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
}

// Each file's share of the bytes sent so far (parts go in order).
function showProgress(loaded) {
  let offset = 0;
  for (const entry of batch) {
    const share = entry.file.size ? (loaded - offset) / entry.file.size : loaded > offset ? 1 : 0;
    entry.el.querySelector(".upload-progress").value = Math.round(100 * Math.min(1, Math.max(0, share)));
    offset += entry.file.size;
  }
}

function setSending(xhr) {
  sending = xhr;
  batch = xhr ? pending.slice() : [];
  for (const entry of pending) {
    entry.el.classList.toggle("uploading", batch.includes(entry));
    const cancel = entry.el.querySelector(".upload-cancel");
    cancel.textContent = xhr ? "Cancel" : "Remove";
    cancel.setAttribute("aria-label", `${xhr ? "Cancel" : "Remove"} ${entry.file.name}`);
    if (!xhr) entry.el.querySelector(".upload-progress").value = 0;
  }
}

function send(composer) {
  const body = new FormData();
  body.append("message", composer.elements.message.value);
  // The composer's id for this message (composer.js), so a resent upload posts once.
  if (!composer.elements.client_id.value) composer.elements.client_id.value = newClientId();
  body.append("client_id", composer.elements.client_id.value);
  for (const entry of pending) body.append("file", entry.file, entry.file.name);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", picker().dataset.uploadUrl);
  xhr.setRequestHeader("X-CSRFToken", csrfToken());
  xhr.upload.addEventListener("progress", (event) => showProgress(event.loaded));
  xhr.addEventListener("load", () => {
    const sent = batch;
    setSending(null);
    if (xhr.status === 201) {
      clearErrors();
      for (const entry of sent) entry.el.remove();
      pending = pending.filter((entry) => !sent.includes(entry));
      syncRequired();
      setText(composer.elements.message, "");
      composer.elements.client_id.value = "";
      composer.elements.message.focus();
    } else {
      showError(refusal(xhr));
    }
  });
  xhr.addEventListener("error", () => {
    setSending(null);
    showError(FAILED);
  });
  xhr.addEventListener("abort", () => {
    setSending(null);
    showError("Upload cancelled: nothing was sent.");
  });
  clearErrors();
  setSending(xhr);
  xhr.send(body);
}

// The full image over the page, under its file name with a Download link
// (the same URL, asked for as a download: saved under that name); Escape
// or Close returns to the conversation.
function openImage(link) {
  let viewer = document.getElementById("image-viewer");
  if (!viewer) {
    viewer = fromTemplate("image-viewer-template");
    viewer.id = "image-viewer";
    document.body.append(viewer);
  }
  const img = viewer.querySelector("img");
  const preview = link.querySelector("img");
  const name = preview.alt;
  img.src = link.href;
  img.alt = name;
  img.width = Number(link.dataset.fullWidth);
  img.height = Number(link.dataset.fullHeight);
  viewer.querySelector(".image-viewer-name").textContent = name;
  const download = viewer.querySelector(".image-viewer-download");
  const url = new URL(link.href, location.href);
  url.search = "download";
  download.href = url.pathname + url.search;
  download.download = name;
  download.setAttribute("aria-label", `Download ${name}`);
  viewer.showModal();
}

function hasFiles(event) {
  return event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files");
}

export function start() {
  // Before hx-ws sees the form (capture on #room runs first): a message
  // with files goes by HTTP instead of the socket.
  room.addEventListener(
    "submit",
    (event) => {
      pending = pending.filter((entry) => entry.el.isConnected); // the composer may have been replaced
      if (event.target !== form() || (pending.length === 0 && !sending)) return;
      event.preventDefault();
      event.stopPropagation();
      if (!sending) send(event.target);
    },
    true,
  );

  // The composer may be replaced live (archived, reopened): listen on #room.
  room.addEventListener("click", (event) => {
    if (event.target.closest("#attach-button")) picker().click();
    const link = event.target.closest(".attachment-open");
    if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
      event.preventDefault();
      openImage(link);
    }
  });
  room.addEventListener("change", (event) => {
    if (event.target !== picker()) return;
    add(event.target.files);
    event.target.value = "";
    form().elements.message.focus();
  });

  room.addEventListener("dragover", (event) => {
    if (!hasFiles(event) || !form()) return;
    event.preventDefault();
    room.classList.add("dropping");
  });
  room.addEventListener("dragleave", (event) => {
    if (!room.contains(event.relatedTarget)) room.classList.remove("dropping");
  });
  room.addEventListener("drop", (event) => {
    room.classList.remove("dropping");
    if (!hasFiles(event) || !form()) return;
    event.preventDefault();
    add(event.dataTransfer.files);
  });

  // A pasted image (a screenshot) is attached; pasted text stays text.
  room.addEventListener("paste", (event) => {
    const files = event.clipboardData ? Array.from(event.clipboardData.files) : [];
    if (files.length === 0 || !form()) return;
    event.preventDefault();
    add(files);
  });
}
