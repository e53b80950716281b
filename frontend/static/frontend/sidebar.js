// The room list (the / page, and the room page's sidebar): entries appear,
// change and disappear live, with this viewer's unread counts. The server
// sends the same HTML to everyone; the viewer's numbers live in each entry's
// data attributes (data-last-read, data-unread, data-mentions, data-latest)
// and are kept here.
(function () {
  "use strict";

  const list = document.getElementById("room-list");
  if (!list) return;

  const me = document.body.dataset.userId;
  const signals = document.getElementById("room-activity");
  const room = document.getElementById("room"); // null on /
  const messages = room && document.getElementById("messages");
  const currentId = room ? room.dataset.roomId : null;
  // A read mark is sent at once, then at most once per this many ms.
  const READ_THROTTLE_MS = 1000;

  function num(value) {
    return Number(value) || 0;
  }

  function entryOf(roomId) {
    return document.getElementById("room-entry-" + roomId);
  }

  // Messages counted live, above what the server last counted (data-latest):
  // room id -> Map(message id -> mentions the viewer). A later read mark or
  // list from the server counts up to its own data-latest, and these add the rest.
  const counted = new Map();
  function countedIn(entry) {
    const id = entry.dataset.roomId;
    if (!counted.has(id)) counted.set(id, new Map());
    return counted.get(id);
  }

  function show(entry) {
    const unread = num(entry.dataset.unread);
    const mentions = num(entry.dataset.mentions);
    // A room that just became visible: its history may hold unread messages
    // the page cannot count (the next page load does).
    const unknown = "unknown" in entry.dataset && !unread;
    const unreadBadge = entry.querySelector(".unread-count");
    unreadBadge.hidden = !unread && !unknown;
    unreadBadge.querySelector(".count-number").textContent = unknown ? "new" : String(unread);
    unreadBadge.querySelector(".visually-hidden").textContent = unknown ? " messages" : " unread";
    const mentionBadge = entry.querySelector(".mention-count");
    mentionBadge.hidden = !mentions;
    mentionBadge.querySelector(".count-number").textContent = String(mentions);
    mentionBadge.querySelector(".visually-hidden").textContent = mentions === 1 ? " mention" : " mentions";
    entry.classList.toggle("has-unread", unread > 0 || unknown);
    const link = entry.querySelector("a");
    if (entry.dataset.roomId === currentId) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }

  // Live entries arrive at the end of the list: put them where the server
  // would (by name, case-insensitively, then by id).
  function before(a, b) {
    if (a.dataset.sort !== b.dataset.sort) return a.dataset.sort < b.dataset.sort;
    return num(a.dataset.roomId) < num(b.dataset.roomId);
  }
  function place(entry) {
    let next = null;
    for (const other of list.children) {
      if (other !== entry && before(entry, other)) {
        next = other;
        break;
      }
    }
    if (entry.nextElementSibling !== next) list.insertBefore(entry, next);
  }

  const VIEWER_KEYS = ["lastRead", "unread", "mentions", "latest", "unknown"];

  // The entry rendered for this viewer replaces the live one (adopt() takes
  // its counts). A room made public appears on every open page at once:
  // the requests are spread over two seconds.
  function fetchEntry(entry) {
    const url = entry.querySelector("a").getAttribute("href") + "entry/";
    setTimeout(async () => {
      let html;
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) return; // gone again: the list says so itself
        html = await response.text();
      } catch (error) {
        return; // offline: "new" until the next sync
      }
      const template = document.createElement("template");
      template.innerHTML = html.trim();
      const fresh = template.content.firstElementChild;
      if (fresh && entryOf(entry.dataset.roomId)) list.append(fresh);
    }, Math.random() * 2000);
  }

  function adopt(entry) {
    let old = null;
    for (const twin of list.querySelectorAll("#" + CSS.escape(entry.id))) if (twin !== entry) old = twin;
    if ("lastRead" in entry.dataset) {
      // Rendered for this viewer (a fresh list after a sync): the server's
      // counts, plus what arrived after its data-latest.
      rebase(entry, entry.dataset.lastRead, entry.dataset.unread, entry.dataset.mentions, entry.dataset.latest, true);
    } else if (old) {
      // Renamed, archived, ...: rendered for everyone; this viewer's counts stay.
      for (const key of VIEWER_KEYS) {
        if (key in old.dataset) entry.dataset[key] = old.dataset[key];
        else delete entry.dataset[key];
      }
    } else {
      // A room that just appeared for this viewer: "new" until its entry
      // with this viewer's counts arrives.
      Object.assign(entry.dataset, { lastRead: "0", unread: "0", mentions: "0" });
      if (num(entry.dataset.latest) > 0) {
        entry.dataset.unknown = "";
        fetchEntry(entry);
      }
    }
    if (old) {
      const hadFocus = old.contains(document.activeElement);
      old.remove();
      if (hadFocus) entry.querySelector("a").focus();
    }
    place(entry);
    show(entry);
  }

  // A new message in a room listed here.
  function count(entry, id, mentionsMe) {
    if (id <= num(entry.dataset.lastRead) || id <= num(entry.dataset.latest)) return;
    const ids = countedIn(entry);
    if (ids.has(id)) return;
    ids.set(id, mentionsMe);
    entry.dataset.unread = num(entry.dataset.unread) + 1;
    if (mentionsMe) entry.dataset.mentions = num(entry.dataset.mentions) + 1;
    show(entry);
  }

  // A deleted message leaves the counts, once: whether it was counted live
  // (it is in countedIn) or by the server (after lastRead, up to latest).
  const uncounted = new Map(); // room id -> Set(message ids taken back off the server's count)
  function uncount(entry, id, mentionsMe) {
    const live = countedIn(entry);
    const taken = uncounted.get(entry.dataset.roomId) || new Set();
    uncounted.set(entry.dataset.roomId, taken);
    if (live.has(id)) {
      mentionsMe = live.get(id);
      live.delete(id);
    } else if (id <= num(entry.dataset.lastRead) || id > num(entry.dataset.latest) || taken.has(id)) {
      return;
    } else {
      taken.add(id);
    }
    entry.dataset.unread = Math.max(0, num(entry.dataset.unread) - 1);
    if (mentionsMe) entry.dataset.mentions = Math.max(0, num(entry.dataset.mentions) - 1);
    show(entry);
  }

  // The server's counts for this viewer, up to message `latest`.
  function rebase(entry, lastRead, unread, mentions, latest, force) {
    lastRead = num(lastRead);
    latest = num(latest);
    // Marks from two processes may arrive out of order: never go back.
    const stale = lastRead < num(entry.dataset.lastRead) ||
      (lastRead === num(entry.dataset.lastRead) && latest < num(entry.dataset.latest));
    if (stale && !force) return;
    let total = num(unread);
    let totalMentions = num(mentions);
    const ids = countedIn(entry);
    for (const [id, mentionsMe] of ids) {
      if (id <= latest) ids.delete(id);
      else if (id > lastRead) {
        total += 1;
        if (mentionsMe) totalMentions += 1;
      }
    }
    Object.assign(entry.dataset, { lastRead: lastRead, unread: total, mentions: totalMentions, latest: latest });
    uncounted.delete(entry.dataset.roomId); // the server's new count leaves deleted messages out
    delete entry.dataset.unknown;
    show(entry);
  }

  new MutationObserver((records) => {
    const added = new Set();
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType === 1 && node.classList.contains("room-entry")) added.add(node);
      }
    }
    for (const entry of added) if (entry.isConnected) adopt(entry);
  }).observe(list, { childList: true });

  // A fresh list for this viewer (the answer to a sync): it replaces the
  // entries, and the observer above adopts each one.
  function replaceAll(fresh) {
    const focused = document.activeElement && document.activeElement.closest(".room-entry");
    list.replaceChildren(...fresh.children);
    const again = focused && focused.parentNode !== list && entryOf(focused.dataset.roomId);
    if (again) again.querySelector("a").focus();
  }

  // Activity, read marks and fresh lists arrive in the hidden #room-activity.
  new MutationObserver(() => {
    for (const signal of Array.from(signals.children)) {
      signal.remove();
      if (signal.matches("[data-room-list]")) {
        replaceAll(signal);
        continue;
      }
      const data = signal.dataset;
      const entry = entryOf(data.roomId);
      if (!entry) continue;
      if ("read" in data) {
        rebase(entry, data.read, data.unread, data.mentions, data.latest, false);
      } else if ("gone" in data) {
        if (data.authorId !== me) uncount(entry, num(data.gone), (data.mentioned || "").split(" ").includes(me));
      } else if (data.authorId !== me) {
        count(entry, num(data.message), (data.mentioned || "").split(" ").includes(me));
      }
    }
  }).observe(signals, { childList: true, subtree: true });

  list.querySelectorAll(".room-entry").forEach(show);

  // The room list page: its socket only listens; each time it opens, the
  // server answers a sync with this viewer's current list.
  const index = document.getElementById("rooms");
  if (index) {
    index.addEventListener("htmx:ws:after:connection", (event) => {
      index.dataset.ws = "open";
      event.detail.connection.socket.send(JSON.stringify({ sync: {} }));
    });
    index.addEventListener("htmx:ws:close", (event) => {
      const code = event.detail && event.detail.code;
      index.dataset.ws = code >= 4400 && code < 4500 ? "closed" : "reconnecting";
    });
  }

  if (!room) return;

  // The room page. Its messages arrive through its own socket (the server
  // sends no activity for this room here): count those nobody is looking at.
  const current = () => entryOf(currentId);

  function reading() {
    return document.visibilityState === "visible" &&
      messages.scrollHeight - messages.scrollTop - messages.clientHeight < 80;
  }

  function newestShown() {
    const shown = messages.querySelectorAll(".message");
    return shown.length ? num(shown[shown.length - 1].id.slice("message-".length)) : 0;
  }

  // Tell the server how far this room has been read, when the newest
  // message is actually on screen; every page of this user follows.
  let socket = null;
  let sentRead = 0;
  let lastSentAt = 0;
  let readTimer = null;
  function markRead() {
    if (!socket || socket.readyState !== WebSocket.OPEN || !reading()) return;
    const newest = newestShown();
    if (newest <= sentRead) return;
    const wait = lastSentAt + READ_THROTTLE_MS - Date.now();
    if (wait > 0) {
      if (!readTimer) readTimer = setTimeout(() => { readTimer = null; markRead(); }, wait);
      return;
    }
    sentRead = newest;
    lastSentAt = Date.now();
    socket.send(JSON.stringify({ read: newest }));
  }

  room.addEventListener("htmx:ws:after:connection", (event) => {
    socket = event.detail.connection.socket;
    markRead();
  });

  new MutationObserver((records) => {
    const entry = current();
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType !== 1 || !node.classList.contains("message") || !node.isConnected) continue;
        if (entry && node.dataset.authorId !== me && !reading()) {
          // chat.js has marked it by now (its observer runs first).
          count(entry, num(node.id.slice("message-".length)), node.classList.contains("mentions-me"));
        }
      }
    }
    markRead();
  }).observe(messages, { childList: true });

  // Leaving right after a message arrived: send the mark the throttle held back.
  window.addEventListener("pagehide", () => {
    if (readTimer) {
      clearTimeout(readTimer);
      readTimer = null;
      lastSentAt = 0;
      markRead();
    }
  });
  messages.addEventListener("scroll", markRead, { passive: true });
  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("focus", markRead);
})();
