// Every page registers the service worker (frontend/views.py, served at the
// site's root so that its scope is every page): the installed app's shell,
// the offline page, and Web Push notifications.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/service-worker.js").catch((error) => {
    // Served over plain HTTP away from localhost, or blocked by the browser:
    // the chat works as before, without offline page or pushes.
    console.warn("The service worker could not be registered:", error);
  });
}
