// Whether this page is on screen, told to the server each time the socket
// opens and each time the tab is shown or hidden. The server pushes a
// mention or direct message to a person's devices only while none of their
// pages is on screen (realtime/visibility.py, push/).
export function start(socket) {
  const tell = () => socket.visible(document.visibilityState === "visible");
  socket.on("open", tell);
  document.addEventListener("visibilitychange", tell);
}
