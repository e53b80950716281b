// The room page (rooms/templates/rooms/room.html): which features it has,
// and the order in which they see what arrives. A new page behaviour is a
// module of its own, started here; the handlers registered with the socket
// run in the order they are registered below, whatever their kind.
import { Socket } from "./socket.js";
import * as attachments from "./attachments.js";
import * as composer from "./composer.js";
import * as frames from "./frames.js";
import * as newMessage from "./new-message.js";
import * as history from "./history.js";
import * as messageActions from "./message-actions.js";
import * as messageBox from "./message-box.js";
import * as notifications from "./notifications.js";
import * as pending from "./pending.js";
import * as people from "./people.js";
import * as reactions from "./reactions.js";
import * as readMarks from "./read-marks.js";
import * as replies from "./replies.js";
import * as roomList from "./room-list.js";
import * as status from "./status.js";
import * as tab from "./tab.js";
import * as time from "./time.js";
import * as typing from "./typing.js";
import * as visibility from "./visibility.js";
import * as viewer from "./viewer.js";

const socket = new Socket(document.getElementById("room"));
// Before any swap is read: each out-of-band target named by its id, then
// reactions older than those shown dropped.
socket.prepare(frames.nameTargets);
socket.prepare(reactions.dropStale);

// Each time the socket opens: the status line, then ask for what was
// missed, then send again what the server may not have handled (messages,
// an edit), then the read mark. The message boxes first see what is typed
// and sent (a text over the limit goes nowhere).
status.showRoomConnection(socket);
socket.on("open", () => history.syncRoom(socket));
visibility.start(socket); // the server pushes to phones only while no page is on screen
messageBox.start();
composer.start(socket);
pending.start(socket);
attachments.start(); // files go by HTTP, their message comes back through the socket
messageActions.start(socket);
reactions.start(socket);
replies.start(socket);
readMarks.start(socket);

// A frame's typing signals before its messages, which end their authors' "is typing".
typing.start(socket);

// The sidebar's room list: new and changed entries, the viewer's read marks
// and fresh counts, before this room's messages are counted below.
roomList.start(socket);
socket.on("presence", people.enhancePresence);
socket.on("people", people.applyChanges); // someone's new display name or avatar

// Messages arriving, edited or deleted, or a page of older history.
socket.on("arriving", history.noteReadingPlace); // before the DOM changes
socket.on("messages", pending.settleArrivals); // "Sending…" entries go when theirs arrive; the others stay last
socket.on("messages", history.placeArrivals); // in order by id, duplicates dropped
socket.on("messages", typing.stopForArrivals);
socket.on("messages", viewer.markArrivals); // .mine, .mentions-me
socket.on("messages", time.formatArrivals); // the time of day in the viewer's locale
socket.on("messages", messageActions.actOnArrivals); // Edit/Delete, labelled with that time
socket.on("messages", reactions.markArrivals); // the viewer's own reactions pressed
socket.on("messages", people.enhanceArrivals); // an author's name offers "Message <name>"
socket.on("messages", roomList.bumpArrivals); // this conversation to the top of the sidebar
socket.on("messages", notifications.notifyArrivals); // needs .mentions-me
socket.on("messages", time.arrange); // day headings, grouping, "… ago"
socket.on("messages", history.followArrivals); // the pill, and where the view goes
socket.on("messages", readMarks.countArrivals); // unread if nobody is looking: after the view moved
socket.on("messages", (arrival) => {
  if (history.reachedPresent(arrival)) history.syncRoom(socket);
});

// Someone reacted: one message's reactions block, replaced.
socket.on("reactions", reactions.markChanged);

// The messages the server rendered with the page get the same touches.
for (const el of document.querySelectorAll("#messages .message")) {
  viewer.mark(el);
  time.format(el);
  messageActions.addActions(el);
  reactions.markMessage(el);
}
time.start();
tab.start();
notifications.start();
people.start();
newMessage.start();
history.start();
