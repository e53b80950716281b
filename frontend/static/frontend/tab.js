// The tab says what arrived unread. Its title counts the messages by others
// that came while this room was not being read (tab hidden, or scrolled up),
// "(3) # Dev team · Chat", and is plain again once they are read
// (read-marks.js decides: the tab visible, the newest message on screen).
// Its icon gets a dot for an unread mention of you, here or in any room of
// the list, and for an unread direct message in another conversation; the
// dot is drawn on the icon in a canvas and shown as a data: URL.
import { me } from "./page.js";
import { onCountsShown } from "./room-list.js";

const icon = document.getElementById("icon");
const plainTitle = document.title;
const plainIcon = icon ? icon.getAttribute("href") : null;
const room = document.getElementById("room");
const DOT_COLOUR = "#e03131";

let unread = 0;
let mentioned = false;
let dotted = null; // the icon with its dot, once drawn
let dotWanted = false;

// Another entry of the room list counts a mention of you, or a direct message.
function elsewhere() {
  for (const entry of document.querySelectorAll(".room-list .room-entry")) {
    if (entry.dataset.roomId === room.dataset.roomId) continue;
    if (Number(entry.dataset.mentions) > 0) return true;
    if (entry.dataset.kind === "direct" && Number(entry.dataset.unread) > 0) return true;
  }
  return false;
}

function drawDot() {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 64;
      const context = canvas.getContext("2d");
      context.drawImage(image, 0, 0, 64, 64);
      context.beginPath();
      context.arc(48, 16, 14, 0, 2 * Math.PI);
      context.fillStyle = DOT_COLOUR;
      context.fill();
      context.lineWidth = 4;
      context.strokeStyle = "#ffffff";
      context.stroke();
      resolve(canvas.toDataURL("image/png"));
    };
    image.onerror = reject;
    image.src = plainIcon;
  });
}

function showDot(wanted) {
  dotWanted = wanted;
  if (!icon) return;
  if (!wanted) {
    icon.type = "image/svg+xml";
    icon.href = plainIcon;
  } else if (dotted) {
    icon.type = "image/png";
    icon.href = dotted;
  } else {
    drawDot().then(
      (url) => {
        dotted = url;
        showDot(dotWanted);
      },
      () => {},
    ); // no canvas: the title still counts
  }
}

function show() {
  const count = unread > 99 ? "99+" : String(unread);
  document.title = unread ? `(${count}) ${plainTitle}` : plainTitle;
  const wanted = mentioned || elsewhere();
  if (wanted !== dotWanted) showDot(wanted);
}

// A message by someone else arrived while nobody was reading (`el`: the message).
export function arrived(el) {
  if (el.dataset.authorId === me) return;
  unread += 1;
  mentioned = mentioned || el.classList.contains("mentions-me");
  show();
}

// The room is being read: what arrived is read.
export function read() {
  if (unread === 0 && !mentioned) return;
  unread = 0;
  mentioned = false;
  show();
}

export function start() {
  onCountsShown(show);
  show();
}
