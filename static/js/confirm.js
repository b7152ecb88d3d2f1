// Destructive actions ask first: a submit button (or form) with data-confirm opens the page's
// native <dialog>; only "Confirm" sends the form. Without JavaScript the form simply submits.
const dialog = document.getElementById("confirm-dialog");
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    const button = event.submitter;
    const question = (button && button.dataset.confirm) || form.dataset.confirm;
    if (!question || !dialog || form.dataset.confirmed === "yes") return;
    event.preventDefault();
    event.stopImmediatePropagation();
    dialog.querySelector("[data-confirm-text]").textContent = question;
    dialog.returnValue = "";
    dialog.addEventListener(
      "close",
      () => {
        if (dialog.returnValue !== "confirm") return;
        form.dataset.confirmed = "yes";
        form.requestSubmit(button || undefined);
        delete form.dataset.confirmed;
      },
      { once: true },
    );
    dialog.showModal();
  },
  true,
);
