// Connection state, for people (the room's status line) and for tests and
// styles (data-ws on the element that owns the socket: connecting, open,
// reconnecting, closed).

// What the room page says after a close that reconnecting cannot help (docs/security.md, "Pages and sockets").
const FINAL_WORDS = {
  4401: "You are signed out. Log in again to keep chatting.",
  4403: "This room is read-only now.",
  4404: "This room is no longer available to you.",
  4429: "Too many chat tabs open: close some, then reload this one.",
};

// The room page: #room[data-ws] and its #connection line.
export function showRoomConnection(socket) {
  const room = socket.owner;
  const line = document.getElementById("connection");
  function setState(state, text) {
    room.dataset.ws = state;
    line.textContent = text;
  }
  socket.on("open", () => setState("open", "Connected"));
  socket.on("close", (close) => {
    if (close.final) {
      room.dataset.closeCode = close.code;
      setState("closed", FINAL_WORDS[close.code]);
    } else if (close.removed) {
      setState("closed", "Disconnected");
    } else {
      setState("reconnecting", "Connection lost, reconnecting…");
    }
  });
}

// The room list page: #rooms[data-ws] only (its socket just listens).
export function showListConnection(socket) {
  socket.on("open", () => {
    socket.owner.dataset.ws = "open";
  });
  socket.on("close", (close) => {
    socket.owner.dataset.ws = close.code >= 4400 && close.code < 4500 ? "closed" : "reconnecting";
  });
}
