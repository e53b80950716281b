// What the room page needs beyond htmx: connection state, a composer that
// clears and keeps focus, messages in order exactly once, the viewer's own
// messages and mentions marked, mention notifications, and times in the
// viewer's locale. Everything the server
// sends is the same HTML for every viewer; per-viewer touches happen here.
(function () {
  "use strict";

  const room = document.getElementById("room");
  if (!room) return;

  const messages = document.getElementById("messages");
  const errors = document.getElementById("chat-errors");
  const status = document.getElementById("connection");
  const me = document.body.dataset.userId;

  // Close codes after which reconnecting cannot help (SPEC section 6).
  const FINAL_CLOSES = {
    4401: "You are signed out. Log in again to keep chatting.",
    4403: "This room is read-only now.",
    4404: "This room is no longer available to you.",
  };

  // Messages sent but not yet seen back from the server, by client id. A
  // socket can die after a frame left the browser and before the server
  // handled it: these are sent again on every reconnect, and the client id
  // makes the server post each one once.
  const unconfirmed = new Map();
  // The socket, once open (hx-ws owns it; we send sync and typing frames).
  let socketOpen = null;

  // "alice is typing…": signals arrive as hidden spans; each lasts 5 s after
  // the last one, or until that person's message arrives. Never our own.
  const TYPING_SHOWN_MS = 5000;
  const typingLine = document.getElementById("typing");
  const typists = new Map(); // user id -> {name, until}
  let typingTimer = null;
  function showTyping() {
    const now = Date.now();
    for (const [id, typist] of typists) if (typist.until <= now) typists.delete(id);
    const names = Array.from(typists.values(), (typist) => typist.name).sort();
    typingLine.textContent = names.length === 0 ? "" :
      names.length === 1 ? `${names[0]} is typing…` :
      names.length <= 3 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are typing…` :
      "Several people are typing…";
    clearTimeout(typingTimer);
    if (typists.size) {
      const next = Math.min(...Array.from(typists.values(), (typist) => typist.until));
      typingTimer = setTimeout(showTyping, Math.max(0, next - now) + 50);
    }
  }
  function stoppedTyping(userId) {
    if (typists.delete(userId)) showTyping();
  }
  const typingSignals = document.getElementById("typing-signals");
  new MutationObserver(() => {
    for (const signal of typingSignals.querySelectorAll("span")) {
      if (signal.dataset.userId !== me) {
        typists.set(signal.dataset.userId, { name: signal.dataset.username, until: Date.now() + TYPING_SHOWN_MS });
      }
      signal.remove();
    }
    showTyping();
  }).observe(typingSignals, { childList: true, subtree: true });

  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
  const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

  // Grouping, day headings and "5 minutes ago" depend on the neighbours, on
  // the viewer's time zone and on the clock: the page works them out from
  // each message's <time datetime>, after every change and once a minute.
  const GROUP_WITHIN_MS = 5 * 60 * 1000;
  const RELATIVE_FOR_MS = 60 * 60 * 1000;

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

  function setDayHeading(el, label) {
    let heading = el.querySelector(":scope > .day-separator");
    if (label === null) {
      if (heading) heading.remove();
      return;
    }
    if (!heading) {
      heading = document.createElement("h2");
      heading.className = "day-separator";
      heading.append(document.createElement("span"));
      el.prepend(heading);
    }
    if (heading.firstChild.textContent !== label) heading.firstChild.textContent = label;
  }

  function arrange() {
    const now = new Date();
    let previous = null;
    for (const el of messages.querySelectorAll(":scope > .message")) {
      const when = el.sentAt;
      if (!when) continue;
      const newDay = !previous || localDay(previous.sentAt).getTime() !== localDay(when).getTime();
      setDayHeading(el, newDay ? dayLabel(when, now) : null);
      el.classList.toggle("continued", !newDay && previous.dataset.authorId === el.dataset.authorId &&
                          when - previous.sentAt >= 0 && when - previous.sentAt < GROUP_WITHIN_MS);
      // Screen readers keep the time of day: a live region would announce
      // every tick of "3 minutes ago".
      const ago = agoLabel(when, now);
      el.querySelector(".message-meta time").classList.toggle("visually-hidden", ago !== "");
      const agoShown = el.querySelector(".time-ago");
      if (agoShown.textContent !== ago) agoShown.textContent = ago;
      previous = el;
    }
  }
  setInterval(arrange, 30 * 1000);

  // --- Mentions ----------------------------------------------------------
  // The server renders `<span class="mention" data-user-id>` the same for
  // everyone; the viewer's own mentions are marked here. A mention arriving
  // live while the tab is hidden becomes a notification, once per message.
  function markMentions(el) {
    let mine = false;
    for (const span of el.querySelectorAll(".message-body .mention")) {
      const forMe = span.dataset.userId === me;
      span.classList.toggle("mention-me", forMe);
      mine = mine || forMe;
    }
    el.classList.toggle("mentions-me", mine);
  }

  const NOTIFY_EXCERPT = 140;
  const notified = new Set();
  function canNotify() {
    return "Notification" in window && Notification.permission === "granted";
  }
  function notifyMention(el) {
    if (!el.classList.contains("mentions-me") || el.dataset.authorId === me || notified.has(el.id)) return;
    if (!document.hidden || !canNotify()) return;
    notified.add(el.id);
    const author = el.querySelector(".message-author").textContent.trim();
    let excerpt = el.querySelector(".message-body").textContent.trim().replace(/\s+/g, " ");
    if (excerpt.length > NOTIFY_EXCERPT) excerpt = excerpt.slice(0, NOTIFY_EXCERPT - 1) + "…";
    const notification = new Notification(`${author} mentioned you in #${room.dataset.room}`, { body: excerpt, tag: el.id });
    notification.onclick = () => {
      window.focus();
      el.scrollIntoView({ block: "center" });
      notification.close();
    };
  }

  // Browsers ask for permission only from a click: offer the button while
  // the answer is still open.
  const notifyButton = document.getElementById("enable-notifications");
  function offerNotifications() {
    notifyButton.hidden = !("Notification" in window) || Notification.permission !== "default";
  }
  notifyButton.addEventListener("click", () => {
    Promise.resolve(Notification.requestPermission()).then(offerNotifications, offerNotifications);
  });
  offerNotifications();
  // ------------------------------------------------------------------------

  function messageNumber(el) {
    return Number(el.id.slice("message-".length));
  }

  function decorate(el) {
    if (el.dataset.clientId) unconfirmed.delete(el.dataset.clientId);
    stoppedTyping(el.dataset.authorId);
    if (el.dataset.authorId === me) el.classList.add("mine");
    markMentions(el);
    const time = el.querySelector("time[datetime]");
    if (time) {
      const when = new Date(time.getAttribute("datetime"));
      if (!isNaN(when)) {
        el.sentAt = when;
        time.textContent = timeFormat.format(when);
        time.title = fullFormat.format(when);
        const ago = document.createElement("span");
        ago.className = "time-ago";
        ago.title = time.title;
        ago.setAttribute("aria-hidden", "true");
        time.after(ago);
      }
    }
    const edited = el.querySelector("[data-edited-at]");
    if (edited) {
      const when = new Date(edited.dataset.editedAt);
      if (!isNaN(when)) edited.title = "Edited " + fullFormat.format(when);
    }
    addActions(el);
  }

  // Edit and delete: the fragment is the same for everyone, so the buttons
  // a viewer may use are added here; the server checks every request again.
  const EDIT_WINDOW_MS = Number(room.dataset.editWindow || 0) * 1000;
  const isStaff = room.hasAttribute("data-staff");

  function editDeadline(el) {
    const time = el.querySelector("time[datetime]");
    return time ? new Date(time.getAttribute("datetime")).getTime() + EDIT_WINDOW_MS : 0;
  }

  function actionButton(action, label, el) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "message-action";
    button.dataset.action = action;
    button.textContent = label;
    const author = el.querySelector(".message-author");
    // Several messages carry these buttons: say which one each is for.
    const time = el.querySelector(".message-meta time");
    const when = time && time.textContent ? ` at ${time.textContent}` : "";
    button.setAttribute("aria-label", `${label} message from ${author ? author.textContent : "someone"}${when}`);
    return button;
  }

  const copyLink = document.getElementById("copy-link-action");

  function addActions(el) {
    const mine = el.dataset.authorId === me;
    const actions = document.createElement("span");
    actions.className = "message-actions";
    el.querySelector(".message-meta").append(actions);
    const copy = copyLink.content.firstElementChild.cloneNode(true);
    copy.setAttribute("aria-label", actionButton("copy-link", copy.textContent, el).getAttribute("aria-label"));
    actions.append(copy);
    if (!mine && !isStaff) return;
    const left = editDeadline(el) - Date.now();
    if (mine && left > 0) {
      const edit = actionButton("edit", "Edit", el);
      actions.append(edit);
      setTimeout(() => edit.remove(), left);
    }
    actions.append(actionButton("delete", "Delete", el));
  }

  async function copyMessageLink(el, button) {
    const url = new URL(room.dataset.messageUrl.replace(/\/0\/$/, `/${messageNumber(el)}/`), location.href).href;
    try {
      await navigator.clipboard.writeText(url);
    } catch (error) {
      showError(`Could not copy the link; here it is: ${url}`);
      return;
    }
    button.textContent = "Link copied";
    setTimeout(() => { button.textContent = "Copy link"; }, 2000);
  }

  function send(frame) {
    if (!socketOpen || socketOpen.readyState !== WebSocket.OPEN) {
      showError("Not connected right now; try again when the page says Connected.");
      return false;
    }
    socketOpen.send(JSON.stringify(frame));
    return true;
  }

  function showError(text) {
    const p = document.createElement("p");
    p.className = "chat-error";
    p.textContent = text;
    errors.replaceChildren(p);
  }

  // The message being edited, if any: its box stays open until the edited
  // message comes back from the server (which replaces the whole article).
  let editing = null;

  async function startEdit(el) {
    if (editing) cancelEdit();
    const body = el.querySelector(".message-body");
    let text;
    try {
      const response = await fetch(room.dataset.sourceUrl.replace(/\/0\/source\/$/, `/${messageNumber(el)}/source/`),
                                   { credentials: "same-origin" });
      if (!response.ok) throw new Error(response.status === 403 ? "You can only edit your own messages." : "");
      text = await response.text();
    } catch (error) {
      showError(error.message || "Could not load the message to edit it; try again in a moment.");
      return;
    }
    if (!el.isConnected) return;
    const form = document.createElement("form");
    form.className = "edit-form";
    form.dataset.original = text;
    const label = document.createElement("label");
    label.className = "visually-hidden";
    label.textContent = "Edit message";
    const input = document.createElement("input");
    input.name = "message";
    input.type = "text";
    input.required = true;
    input.value = text;
    input.id = label.htmlFor = `edit-${el.id}`;
    const save = document.createElement("button");
    save.type = "submit";
    save.className = "button button-small";
    save.textContent = "Save";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "link-button";
    cancel.dataset.action = "cancel-edit";
    cancel.textContent = "Cancel";
    form.append(label, input, save, cancel);
    body.hidden = true;
    body.after(form);
    editing = el;
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }

  function cancelEdit() {
    if (!editing) return;
    const form = editing.querySelector(".edit-form");
    if (form) form.remove();
    const body = editing.querySelector(".message-body");
    if (body) body.hidden = false;
    editing = null;
    focusComposer();
  }

  function focusComposer() {
    const form = document.getElementById("message-form");
    if (form) form.elements.message.focus();
  }

  messages.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const el = button.closest(".message");
    if (button.dataset.action === "copy-link") {
      copyMessageLink(el, button);
    } else if (button.dataset.action === "edit") {
      startEdit(el);
    } else if (button.dataset.action === "cancel-edit") {
      cancelEdit();
    } else if (button.dataset.action === "delete" && window.confirm("Delete this message for everyone?")) {
      send({ delete: messageNumber(el) });
    }
  });

  messages.addEventListener("submit", (event) => {
    const form = event.target.closest(".edit-form");
    if (!form) return;
    event.preventDefault();
    const el = form.closest(".message");
    const text = form.elements.message.value;
    if (text === form.dataset.original) {
      cancelEdit();
    } else if (send({ edit: messageNumber(el), message: text })) {
      // Sent again on reconnect until the edited message comes back, like
      // unconfirmed messages: an edit of the same text twice changes nothing.
      form.dataset.sent = text;
      errors.replaceChildren();
    }
  });

  messages.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && event.target.closest(".edit-form")) cancelEdit();
  });

  // Up arrow in an empty composer edits one's latest message, as in most chats.
  room.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowUp" || event.target.id !== "message-input" || event.target.value) return;
    const mine = Array.from(messages.querySelectorAll(".message.mine")).pop();
    if (mine && mine.querySelector('button[data-action="edit"]')) {
      event.preventDefault();
      startEdit(mine);
    }
  });

  // A page opened at a permalink shows a window of history ending in
  // #load-newer until the reader scrolls to the present. Live messages land
  // after that link (beforeend:#messages), beyond the gap: they are dropped,
  // and once the newest page is in, a sync fills whatever arrived meanwhile
  // (place() drops the repeats), so nothing is missed or shown twice. The
  // socket stays open all along: edits, deletions, presence and the composer
  // work while reading the past.
  function beyondGap(el) {
    const gap = document.getElementById("load-newer");
    return gap !== null && (gap.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
  }

  // Broadcasts from several processes may arrive out of id order, and a
  // catch-up may repeat a message already shown: the id decides both.
  function place(el) {
    const twins = messages.querySelectorAll("#" + CSS.escape(el.id));
    if (twins.length > 1) {
      el.remove();
      return;
    }
    const n = messageNumber(el);
    let before = el.previousElementSibling;
    while (before && before.classList.contains("message") && messageNumber(before) > n) {
      before = before.previousElementSibling;
    }
    if (before !== el.previousElementSibling) {
      messages.insertBefore(el, before ? before.nextElementSibling : messages.firstElementChild);
    }
    decorate(el);
  }

  function nearBottom() {
    return messages.scrollHeight - messages.scrollTop - messages.clientHeight < 80;
  }

  // Reading further up while others write: a pill counts what arrived below
  // and jumps back to the latest.
  const pill = document.getElementById("new-messages");
  let unseen = 0;
  function showUnseen() {
    pill.hidden = unseen === 0;
    pill.textContent = unseen === 1 ? "1 new message ↓" : unseen + " new messages ↓";
  }
  pill.addEventListener("click", () => {
    messages.scrollTop = messages.scrollHeight;
    unseen = 0;
    showUnseen();
  });

  let stick = true;
  messages.addEventListener("scroll", () => {
    stick = nearBottom();
    if (stick && unseen) {
      unseen = 0;
      showUnseen();
    }
  }, { passive: true });

  // Older history is inserted above what the reader is looking at: keep
  // the text they were reading where it was (its day heading may move up to
  // the older page, so the message's own box is not the anchor).
  // Newer history (below a permalink's window) keeps the same anchor.
  let olderAnchor = null;
  messages.addEventListener("htmx:before:swap", (event) => {
    if (event.target.id !== "load-older" && event.target.id !== "load-newer") return;
    const body = messages.querySelector(":scope > .message .message-body");
    olderAnchor = { body: body, top: body ? body.getBoundingClientRect().top : 0, newer: event.target.id === "load-newer" };
  });

  new MutationObserver((records) => {
    for (const record of records) {
      // An edit replaces an article by one with the same id: not news.
      const replaced = new Set();
      for (const node of record.removedNodes) if (node.nodeType === 1) replaced.add(node.id);
      for (const node of record.addedNodes) {
        if (node.nodeType === 1 && node.classList.contains("message") && node.isConnected) {
          if (beyondGap(node)) {
            // One's own message sent from the past: it is saved, go to the present to see it.
            if (unconfirmed.has(node.dataset.clientId)) location.assign(room.dataset.messageUrl.replace(/messages\/0\/$/, ""));
            node.remove();
            continue;
          }
          place(node);
          if (editing && editing.id === node.id && editing !== node) {
            editing = null;
            focusComposer();
          }
          const older = olderAnchor !== null;
          const news = !older && !replaced.has(node.id);
          // Not older history, an edit, or a replay of a message already shown (place() dropped it).
          if (news && node.isConnected) notifyMention(node);
          if (!stick && news && node.isConnected && !node.classList.contains("mine")) unseen += 1;
        }
      }
    }
    arrange();
    showUnseen();
    if (olderAnchor !== null) {
      if (olderAnchor.body) messages.scrollTop += olderAnchor.body.getBoundingClientRect().top - olderAnchor.top;
      // The newest page is in: from here on the live stream appends.
      if (olderAnchor.newer && !document.getElementById("load-newer") && socketOpen) sendSync(socketOpen);
      olderAnchor = null;
    } else if (stick) {
      messages.scrollTop = messages.scrollHeight;
    }
  }).observe(messages, { childList: true });

  messages.querySelectorAll(".message").forEach(decorate);
  arrange();
  messages.scrollTop = messages.scrollHeight;
  const linked = messages.querySelector(".message-linked");
  if (linked) linked.scrollIntoView({ block: "center" });

  // Our own keystrokes: at most one signal every 2 s (the server throttles too).
  let lastTypingSent = 0;
  room.addEventListener("input", (event) => {
    if (event.target.id !== "message-input" || !event.target.value || !socketOpen) return;
    if (socketOpen.readyState !== WebSocket.OPEN || Date.now() - lastTypingSent < 2000) return;
    lastTypingSent = Date.now();
    socketOpen.send(JSON.stringify({ typing: true }));
  });

  // Connection state, for people (the status line) and tests (data-ws).
  function setState(state, text) {
    room.dataset.ws = state;
    status.textContent = text;
  }

  // Every time the socket opens (first load, reconnect after a drop, a tab
  // the browser froze or a phone suspended) ask for what this page missed:
  // the messages after its newest one, and edits and deletions among those
  // it shows.
  function sendSync(socket) {
    if (socket.readyState !== WebSocket.OPEN) return;  // the next connection syncs
    const shown = Array.from(messages.querySelectorAll(".message"), messageNumber);
    // Short of the present (a permalink), what lies beyond the gap is loaded
    // by scrolling: catch up from the newest message when the page was made.
    const gap = document.getElementById("load-newer");
    const after = gap ? Number(gap.dataset.latest) : shown.length ? Math.max(...shown) : 0;
    // The newest 1000 shown are enough to find deletions a reader may notice.
    const known = shown.slice(-1000);
    // Edited messages say which revision this page shows; newer ones come back.
    const revised = {};
    for (const el of messages.querySelectorAll(".message[data-revision]")) {
      revised[messageNumber(el)] = Number(el.dataset.revision);
    }
    socket.send(JSON.stringify({ sync: { after: after, known: known, revised: revised } }));
  }

  room.addEventListener("htmx:ws:after:connection", (event) => {
    setState("open", "Connected");
    const socket = event.detail.connection.socket;
    socketOpen = socket;
    sendSync(socket);
    for (const [clientId, text] of unconfirmed) {
      socket.send(JSON.stringify({ message: text, client_id: clientId }));
    }
    const sentEdit = editing && editing.querySelector(".edit-form[data-sent]");
    if (sentEdit) socket.send(JSON.stringify({ edit: messageNumber(editing), message: sentEdit.dataset.sent }));
  });
  room.addEventListener("htmx:ws:close", (event) => {
    const code = event.detail && event.detail.code;
    if (FINAL_CLOSES[code]) {
      room.dataset.closeCode = code;
      setState("closed", FINAL_CLOSES[code]);
      const composer = document.getElementById("message-form");
      if (composer) composer.remove();
    } else if (event.detail && event.detail.reason === "removed") {
      setState("closed", "Disconnected");
    } else {
      setState("reconnecting", "Connection lost, reconnecting…");
    }
  });

  function newClientId() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }

  // The composer may be replaced live (room archived, then reopened), so
  // these handlers live on #room. Each message gets an id of its own before
  // hx-ws reads the form (capture phase runs first), so the server can tell
  // a resent frame from a new message.
  room.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.elements.client_id && !form.elements.client_id.value) form.elements.client_id.value = newClientId();
  }, true);

  // hx-ws has collected the form's values by now: clear the box for the
  // next message and keep the cursor in it.
  room.addEventListener("htmx:ws:before:message:outgoing", (event) => {
    const form = event.target.closest("form");
    if (!form) return;
    const values = event.detail.message.values;
    unconfirmed.set(values.client_id, values.message);
    lastTypingSent = 0;
    errors.replaceChildren();
    form.elements.message.value = "";
    form.elements.client_id.value = "";
    form.elements.message.focus();
  });

  // A refused message comes back with its text: put it back in the box
  // (unless something new was typed meanwhile) so nothing is lost.
  new MutationObserver(() => {
    // A refused edit is not sent again on reconnect (the box stays open to fix it).
    const refusedEdit = errors.querySelector("[data-refused-edit]");
    if (refusedEdit && editing && messageNumber(editing) === Number(refusedEdit.dataset.refusedEdit)) {
      const form = editing.querySelector(".edit-form");
      if (form) delete form.dataset.sent;
    }
    const refused = errors.querySelector("[data-unsent]");
    if (refused && refused.dataset.clientId) unconfirmed.delete(refused.dataset.clientId);
    const form = document.getElementById("message-form");
    if (refused && form && form.elements.message.value === "") {
      form.elements.message.value = refused.dataset.unsent;
      form.elements.message.focus();
    }
  }).observe(errors, { childList: true });
})();
