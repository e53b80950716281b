// The settings page (notifications/templates/notifications/settings.html):
// its "Enable notifications on this device" (push/templates/push/settings.html)
// asks the browser for permission, subscribes, and shows the page again
// with the device listed.
import * as push from "./push.js";

const button = document.getElementById("enable-push");
const status = document.getElementById("push-status");

if (button && push.available()) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "Asking your browser…";
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        throw new Error(
          "Your browser did not allow notifications: allow them in its settings for this site, then try again.",
        );
      }
      await push.enable();
      window.location.reload();
    } catch (error) {
      status.textContent = error.message;
      button.disabled = false;
    }
  });
} else if (button) {
  status.textContent = "This browser cannot get notifications when the chat is closed.";
}
