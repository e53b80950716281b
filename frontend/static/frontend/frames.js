// A WebSocket frame can carry several versions of one element: the server
// gathers the fragments of a few milliseconds into one frame (realtime/hub.py),
// say "alice is here" and then "alice left". htmx finds every out-of-band
// target before it swaps any, so a second replacement of an element would
// land on the copy the first one removed and the older version would stay
// on the page. Naming each target by its id makes htmx look it up when that
// swap runs: the fragments of a frame apply in order, as separate frames do.
// A swap's preparer (Socket.prepare): runs on its task list before any other.
export function nameTargets(tasks) {
  for (const task of tasks) {
    if (task.type === "oob" && task.target instanceof Element && task.target.id) {
      task.target = "#" + CSS.escape(task.target.id);
    }
  }
}
