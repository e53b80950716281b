// The room list (the / page, and the room page's sidebar): entries appear,
// change and disappear live, with this viewer's unread counts. The server
// sends the same HTML to everyone; the viewer's numbers live in each entry's
// data attributes (data-last-read, data-unread, data-mentions, data-latest)
// and are kept here. Direct conversations have a list of their own
// (#dm-list, most recent first: data-recent, the newest message id).
import { me } from "./page.js";

const list = document.getElementById("room-list");
const dmList = document.getElementById("dm-list");
const room = document.getElementById("room"); // null on /
const currentId = room ? room.dataset.roomId : null;
const VIEWER_KEYS = ["lastRead", "unread", "mentions", "latest", "unknown"];
// The server counts unread messages and mentions up to this many per room
// (rooms/models/read_mark.py UNREAD_COUNT_LIMIT): from there a count is
// "99+", a floor rather than a number.
const COUNT_LIMIT = 100;

function num(value) {
  return Number(value) || 0;
}

function entryOf(roomId) {
  return document.getElementById("room-entry-" + roomId);
}

function isDirect(entry) {
  return entry.dataset.kind === "direct";
}

function listOf(entry) {
  return isDirect(entry) ? dmList : list;
}

// Told of every new message by someone else in a listed room or
// conversation, and whether it mentions the viewer (notifications.js).
let messageHeard = () => {};
export function onMessageHeard(handler) {
  messageHeard = handler;
}

// Told each time an entry's counts are shown anew (tab.js).
let countsShown = () => {};
export function onCountsShown(handler) {
  countsShown = handler;
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

// A deleted message leaves the counts, once: room id -> Set(message ids
// taken back off the server's count).
const uncounted = new Map();

function badge(count) {
  return count >= COUNT_LIMIT ? COUNT_LIMIT - 1 + "+" : String(count);
}

function show(entry) {
  const unread = num(entry.dataset.unread);
  const mentions = num(entry.dataset.mentions);
  // A room that just became visible: its history may hold unread messages
  // the page cannot count (the next page load does).
  const unknown = "unknown" in entry.dataset && !unread;
  const unreadBadge = entry.querySelector(".unread-count");
  unreadBadge.hidden = !unread && !unknown;
  unreadBadge.querySelector(".count-number").textContent = unknown ? "new" : badge(unread);
  unreadBadge.querySelector(".visually-hidden").textContent = unknown ? " messages" : " unread";
  const mentionBadge = entry.querySelector(".mention-count");
  mentionBadge.hidden = !mentions;
  mentionBadge.querySelector(".count-number").textContent = badge(mentions);
  mentionBadge.querySelector(".visually-hidden").textContent = mentions === 1 ? " mention" : " mentions";
  entry.classList.toggle("has-unread", unread > 0 || unknown);
  const link = entry.querySelector("a");
  if (entry.dataset.roomId === currentId) link.setAttribute("aria-current", "page");
  else link.removeAttribute("aria-current");
  countsShown();
}

// Live entries arrive at the end of the list: put them where the server
// would (rooms by name, case-insensitively, then by id; conversations by
// their newest message, then the newest conversation first).
function before(a, b) {
  if (isDirect(a)) {
    if (num(a.dataset.recent) !== num(b.dataset.recent)) return num(a.dataset.recent) > num(b.dataset.recent);
    return num(a.dataset.roomId) > num(b.dataset.roomId);
  }
  if (a.dataset.sort !== b.dataset.sort) return a.dataset.sort < b.dataset.sort;
  return num(a.dataset.roomId) < num(b.dataset.roomId);
}
function place(entry) {
  const list = listOf(entry);
  let next = null;
  for (const other of list.children) {
    if (other !== entry && before(entry, other)) {
      next = other;
      break;
    }
  }
  if (entry.nextElementSibling !== next) list.insertBefore(entry, next);
}

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
    } catch {
      return; // offline: "new" until the next sync
    }
    // Parsed, not shown: a <template> runs nothing and loads nothing.
    const parsed = document.createElement("template");
    parsed.innerHTML = html.trim();
    const fresh = parsed.content.firstElementChild;
    if (fresh && entryOf(entry.dataset.roomId)) {
      listOf(fresh).append(fresh);
      adopt(fresh);
    }
  }, Math.random() * 2000);
}

// Rendered once for everyone, a conversation's title names its viewer too:
// the other people's names, as the server writes them for a viewer.
function withoutViewer(entry) {
  const title = entry.querySelector(".room-name");
  const others = Array.from(title.querySelectorAll(".dm-name")).filter((name) => name.dataset.userId !== me);
  if (others.length === title.querySelectorAll(".dm-name").length) return;
  title.replaceChildren(...others.flatMap((name, index) => (index ? [", ", name] : [name])));
}

// An entry just put in the list (live, fetched, or a fresh list): take over
// this viewer's counts, drop the one it replaces, and put it in its place.
function adopt(entry) {
  let old = null;
  for (const twin of document.querySelectorAll(".room-list #" + CSS.escape(entry.id))) if (twin !== entry) old = twin;
  if (isDirect(entry)) withoutViewer(entry);
  if (old && num(old.dataset.recent) > num(entry.dataset.recent)) entry.dataset.recent = old.dataset.recent;
  if ("lastRead" in entry.dataset) {
    // Rendered for this viewer (a fresh list after a sync): the server's
    // counts, plus what arrived after its data-latest.
    rebase(
      entry,
      entry.dataset.lastRead,
      entry.dataset.unread,
      entry.dataset.mentions,
      entry.dataset.latest,
      true,
      old || entry,
    );
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

// A new message in a room listed here, unless it is already counted.
export function count(roomId, id, mentionsMe) {
  const entry = entryOf(roomId);
  if (!entry || id <= num(entry.dataset.lastRead) || id <= num(entry.dataset.latest)) return;
  const ids = countedIn(entry);
  if (ids.has(id)) return;
  ids.set(id, mentionsMe);
  entry.dataset.unread = num(entry.dataset.unread) + 1;
  if (mentionsMe) entry.dataset.mentions = num(entry.dataset.mentions) + 1;
  show(entry);
  messageHeard(entry, id, mentionsMe);
}

// A conversation with a new message (anyone's) moves to the top of its list.
function bump(entry, id) {
  if (!isDirect(entry) || id <= num(entry.dataset.recent)) return;
  entry.dataset.recent = id;
  place(entry);
}

// Whether it was counted live (it is in countedIn) or by the server (after
// lastRead, up to latest).
function uncount(entry, id, mentionsMe) {
  if (num(entry.dataset.unread) >= COUNT_LIMIT || num(entry.dataset.mentions) >= COUNT_LIMIT) {
    // A floor minus one says nothing: the server counts again.
    fetchEntry(entry);
    return;
  }
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

// The server's counts for this viewer, up to message `latest` (`previous`:
// the entry it replaces, whose counts the page had until now).
function rebase(entry, lastRead, unread, mentions, latest, force, previous = entry) {
  lastRead = num(lastRead);
  latest = num(latest);
  // Marks from two processes may arrive out of order: never go back.
  const stale =
    lastRead < num(entry.dataset.lastRead) ||
    (lastRead === num(entry.dataset.lastRead) && latest < num(entry.dataset.latest));
  if (stale && !force) return;
  let total = num(unread);
  let totalMentions = num(mentions);
  const ids = countedIn(entry);
  // An entry that just appeared counted nothing yet, whatever its latest.
  const known = !("unknown" in previous.dataset);
  const before = {
    unread: num(previous.dataset.unread),
    mentions: num(previous.dataset.mentions),
    latest: known ? num(previous.dataset.latest) : 0,
    heard: ids.has(latest),
  };
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
  // A message the server counted before its news reached this page (the
  // list's signals wait for their window, a read mark or a fetched entry
  // does not): news all the same. This page's own room tells of its
  // messages as they arrive.
  const news = latest > before.latest && total > before.unread && !before.heard;
  if (news && entry.dataset.roomId !== currentId) {
    messageHeard(entry, latest, totalMentions > before.mentions);
  }
}

// This page's own conversation: its messages come to the page, not as activity.
export function bumpArrivals(arrival) {
  const entry = currentId && entryOf(currentId);
  for (const el of arrival.news) if (entry) bump(entry, num(el.id.slice("message-".length)));
}

// A fresh list for this viewer (the answer to a sync) replaces the entries.
function replaceAll(fresh) {
  const focused = document.activeElement && document.activeElement.closest(".room-entry");
  const entries = Array.from(fresh.children);
  list.replaceChildren(...entries.filter((entry) => !isDirect(entry)));
  dmList.replaceChildren(...entries.filter(isDirect));
  entries.forEach(adopt);
  const again = focused && !focused.isConnected && entryOf(focused.dataset.roomId);
  if (again) again.querySelector("a").focus();
}

function mentioned(data) {
  return (data.mentioned || "").split(" ").includes(me);
}

// Activity, read marks and fresh lists arrive as signals in the hidden #room-activity.
function receive(signals) {
  for (const signal of signals) {
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
      if (data.authorId !== me) uncount(entry, num(data.gone), mentioned(data));
    } else {
      bump(entry, num(data.message));
      if (data.authorId !== me) count(data.roomId, num(data.message), mentioned(data));
    }
  }
}

export function start(socket) {
  socket.on("entries", (entries) => {
    for (const entry of entries) if (entry.isConnected) adopt(entry);
  });
  socket.on("activity", receive);
  document.querySelectorAll(".room-list .room-entry").forEach(show);
}
