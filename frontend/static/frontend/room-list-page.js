// The room list page (/, rooms/templates/rooms/room_list.html). Its socket
// only listens; each time it opens, the server answers a sync with this
// viewer's current list.
import { Socket } from "./socket.js";
import * as frames from "./frames.js";
import * as newMessage from "./new-message.js";
import * as notifications from "./notifications.js";
import * as people from "./people.js";
import * as roomList from "./room-list.js";
import * as status from "./status.js";
import * as visibility from "./visibility.js";

const socket = new Socket(document.getElementById("rooms"));
// Before any swap is read: each out-of-band target named by its id.
socket.prepare(frames.nameTargets);
status.showListConnection(socket);
socket.on("open", () => socket.syncList());
visibility.start(socket); // the server pushes to phones only while no page is on screen
roomList.start(socket);
socket.on("people", people.applyChanges); // nobody's name shows here: the signals are only cleared
newMessage.start();
notifications.start(); // direct messages to this viewer, while the tab is hidden
