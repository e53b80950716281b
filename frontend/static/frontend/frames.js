// A WebSocket frame can carry several versions of one element: the server
// gathers the fragments of a few milliseconds into one frame (rooms/hub.py),
// say "alice is here" and then "alice left". htmx finds every out-of-band
// target before it swaps any, so a second replacement of an element would
// land on the copy the first one removed and the older version would stay
// on the page. Naming each target by its id makes htmx look it up when that
// swap runs: the fragments of a frame apply in order, as separate frames do.
export function start() {
  document.addEventListener("htmx:before:swap", (event) => {
    for (const task of event.detail.tasks || []) {
      if (task.type === "oob" && task.target instanceof Element && task.target.id) {
        task.target = "#" + CSS.escape(task.target.id);
      }
    }
  });
}
