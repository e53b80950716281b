// The invitation page (accounts/invitation_created.html). "Copy link" buttons: <button data-copy="#input"> copies that input's value
// and says so in the .copy-status next to it. The button stays hidden without
// JavaScript; the input is read-only text to select by hand.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const input = document.querySelector(button.dataset.copy);
  const status = button.parentElement.querySelector(".copy-status");
  if (!input) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      if (status) status.textContent = "Link copied.";
    } catch {
      if (status) status.textContent = "Copying was not allowed: the link is selected, copy it with Ctrl+C.";
    }
  });
}
