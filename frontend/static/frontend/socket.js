// The page's socket and the frame protocol, both ways. hx-ws owns the
// WebSocket (it connects, reconnects, and sends the composer's form as
// {"message", "client_id"} while the socket is open); this module takes the socket each time it opens,
// writes every other frame the server understands, and is the one dispatcher
// for what arrives. Feature modules register handlers with on(); the page's
// entry module registers them, and they run in that order.
//
// What arrives: the server's fragments are swapped in out of band by htmx.
// Every swap on the page (a socket frame, or the "Load older messages"
// request) is read from htmx's own events, each listened to here alone: at
// htmx:before:swap the preparers the page registered (prepare()) may rewrite
// or drop its tasks, in their order, then its task list
// says what will land where (the DOM has not changed yet), and at
// htmx:after:swap, once every task is applied, the handlers run. No
// MutationObserver: everything the page reacts to arrives through a swap, or
// is a change the page's own code makes and can act on where it makes it.

// Close codes after which reconnecting cannot help (realtime/page.py names them).
const FINAL_CLOSES = [4401, 4403, 4404, 4429];

// Where a swap lands -> what it means. Targets are the ids of the page's
// containers (rooms/templates/rooms/room.html and room_list.html); `only`
// keeps the elements that matter of what the swap inserts.
const LANDINGS = [
  { target: /^messages$/, style: "beforeend", kind: "added", only: ".message" },
  { target: /^load-older$/, style: "outerHTML", kind: "older", only: ".message" },
  { target: /^load-newer$/, style: "outerHTML", kind: "newer", only: ".message" },
  { target: /^messages$/, style: "innerHTML", kind: "latest", only: ".message" },
  { target: /^message-\d+$/, style: "outerHTML", kind: "replaced", only: ".message" },
  { target: /^message-\d+$/, style: "delete", kind: "removed" },
  { target: /^reactions-\d+$/, style: "outerHTML", kind: "reactions", only: ".reactions" },
  { target: /^typing-signals$/, style: "beforeend", kind: "typing" },
  { target: /^room-activity$/, style: "beforeend", kind: "activity" },
  { target: /^people-changes$/, style: "beforeend", kind: "people" },
  { target: /^(room|dm)-list$/, style: "beforeend", kind: "entries", only: ".room-entry" },
  { target: /^presence$/, style: "outerHTML", kind: "presence" },
  { target: /^chat-errors$/, style: "innerHTML", kind: "errors" },
];
// The kinds handlers of "messages" hear about.
const MESSAGE_KINDS = ["added", "older", "newer", "latest", "replaced", "removed"];

// What one swap brought. Elements are the ones htmx inserts, so a handler may
// find them already gone again (a duplicate dropped, or replaced later in the
// same frame): the getters below count only those still on the page.
class Arrival {
  constructor() {
    this.landed = new Set(); // the kinds of LANDINGS this swap has
    this.added = []; // messages appended live
    this.older = []; // a page of older history, inserted above
    this.newer = []; // a page of newer history below a permalink's window
    this.latest = []; // the room's latest page, in place of everything shown ("Jump to latest")
    this.replaced = []; // edited messages, each replacing its namesake
    this.removed = []; // ids of deleted messages
    this.reactions = []; // a message's reactions block, someone reacted
    this.typing = []; // <span data-user-id data-name>
    this.activity = []; // room-list signals (rooms/templates/rooms/room_list.html)
    this.people = []; // a person's new display name and avatar
    this.entries = []; // room-list entries, new or changed
    this.errors = []; // what #chat-errors says now
    this.presence = []; // the new "Here now" list
  }

  has(kind) {
    return kind === "messages" ? MESSAGE_KINDS.some((each) => this.landed.has(each)) : this.landed.has(kind);
  }

  // "Load older messages" was answered (its page may hold no message this page lacks).
  get olderPage() {
    return this.landed.has("older");
  }

  // "Load newer messages" (a page opened at a permalink) was answered.
  get newerPage() {
    return this.landed.has("newer");
  }

  // "Jump to latest" was answered: the history is now the room's latest page.
  get latestPage() {
    return this.landed.has("latest");
  }

  // Every message of this swap now on the page: each needs its per-viewer touches.
  get shown() {
    return [...this.older, ...this.newer, ...this.latest, ...this.added, ...this.replaced].filter(
      (el) => el.isConnected,
    );
  }

  // Messages that are news to the reader: live, not an edit, not a repeat.
  get news() {
    return this.added.filter((el) => el.isConnected);
  }
}

// The elements a task inserts. Styles that "strip" insert the children of
// the fragment's wrapper (<div hx-swap-oob="beforeend:#messages">...</div>).
function inserted(task) {
  const wrapper = task.swapSpec.strip ? task.fragment.firstElementChild : task.fragment;
  if (!wrapper) return [];
  return Array.from((wrapper.content || wrapper).children);
}

// htmx's tasks for one swap, before it runs them. frames.js may have named
// a target by its selector: it is still the element on the page now.
function read(tasks) {
  const arrival = new Arrival();
  for (const task of tasks) {
    const target = typeof task.target === "string" ? document.querySelector(task.target) : task.target;
    if (!(target instanceof Element) || !task.swapSpec) continue;
    const where = LANDINGS.find((each) => each.target.test(target.id) && each.style === task.swapSpec.style);
    if (!where) continue;
    arrival.landed.add(where.kind);
    if (where.kind === "removed") arrival.removed.push(target.id);
    else arrival[where.kind].push(...inserted(task).filter((el) => !where.only || el.matches(where.only)));
  }
  return arrival;
}

// One feature's mistake is reported and does not stop the others.
function run(handler, detail) {
  try {
    handler(detail);
  } catch (error) {
    reportError(error);
  }
}

export class Socket {
  // `owner`: the element with hx-ws:connect.
  constructor(owner) {
    this.owner = owner;
    this.socket = null;
    this.handlers = [];
    this.preparers = [];
    this.arriving = new Map(); // htmx swap context -> Arrival

    owner.addEventListener("htmx:ws:after:connection", (event) => {
      this.socket = event.detail.connection.socket;
      this.emit("open");
    });
    owner.addEventListener("htmx:ws:close", (event) => {
      const code = event.detail && event.detail.code;
      this.emit("close", {
        code: code,
        final: FINAL_CLOSES.includes(code),
        // hx-ws closes a socket whose element left the page.
        removed: Boolean(event.detail && event.detail.reason === "removed"),
      });
    });
    // hx-ws has collected the form's values and is about to send them.
    // While the socket is down it would keep them to send on reconnecting;
    // the page sends what is waiting itself then (pending.js), once.
    owner.addEventListener("htmx:ws:before:message:outgoing", (event) => {
      const form = event.target.closest("form");
      if (!form) return;
      const values = event.detail.message.values;
      this.emit("post", {
        form: form,
        clientId: values.client_id,
        text: values.message,
        replyTo: values.reply_to || null,
      });
      if (!this.isOpen) event.detail.cancelled = true;
    });

    document.addEventListener("htmx:before:swap", (event) => {
      const tasks = event.detail.tasks || [];
      for (const prepare of this.preparers) run(prepare, tasks);
      const arrival = read(tasks);
      this.arriving.set(event.detail.ctx, arrival);
      if (arrival.has("messages")) this.emit("arriving", arrival);
    });
    document.addEventListener("htmx:after:swap", (event) => {
      const arrival = this.arriving.get(event.detail.ctx);
      if (arrival) this.dispatch(arrival);
    });
    // A swap that failed half way still ends here; forget it either way.
    document.addEventListener("htmx:finally:swap", (event) => this.arriving.delete(event.detail.ctx));
  }

  // kind: "open", "close" ({code, final, removed}), "post" ({form, clientId,
  // text, replyTo}), "arriving" (an Arrival, before the DOM changes), "messages"
  // (an Arrival), "typing", "activity", "entries", "errors", "reactions",
  // "presence", "people" (arrays of elements).
  on(kind, handler) {
    this.handlers.push({ kind: kind, handler: handler });
  }

  // prepare(tasks) runs on every swap's task list before it is read or
  // applied, in registration order; it may change or remove tasks.
  prepare(preparer) {
    this.preparers.push(preparer);
  }

  emit(kind, detail) {
    for (const registered of this.handlers) if (registered.kind === kind) run(registered.handler, detail);
  }

  // One pass over the handlers in registration order, whatever their kind.
  dispatch(arrival) {
    for (const registered of this.handlers) {
      if (!arrival.has(registered.kind)) continue;
      run(registered.handler, registered.kind === "messages" ? arrival : arrival[registered.kind]);
    }
  }

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  // false when the socket is not open: the frame is not sent.
  send(frame) {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  // --- The frames a page sends (the server's table: realtime/protocol.py and rooms/sockets.py) ---

  // The room page: what it shows, so the server sends what it missed.
  syncRoom(after, known, revised) {
    return this.send({ sync: { after: after, known: known, revised: revised } });
  }

  // The room list page: the server answers with this viewer's list.
  syncList() {
    return this.send({ sync: {} });
  }

  // A message sent before and not seen back yet (the composer's own frames go through hx-ws).
  resend(text, clientId, replyTo) {
    return this.send(
      replyTo ? { message: text, client_id: clientId, reply_to: replyTo } : { message: text, client_id: clientId },
    );
  }

  read(messageId) {
    return this.send({ read: messageId });
  }

  typing() {
    return this.send({ typing: true });
  }

  edit(messageId, text) {
    return this.send({ edit: messageId, message: text });
  }

  delete(messageId) {
    return this.send({ delete: messageId });
  }

  // Add one's reaction, or take it back.
  react(messageId, emoji) {
    return this.send({ react: messageId, emoji: emoji });
  }

  // Whether this page's tab is on screen (every page's socket).
  visible(onScreen) {
    return this.send({ visible: onScreen });
  }
}
