// Counts down a disabled "Resend code" button and enables it when the wait is over.
document.querySelectorAll("[data-countdown]").forEach((button) => {
  let left = parseInt(button.dataset.countdown, 10);
  const label = button.querySelector(".countdown");
  const tick = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      clearInterval(tick);
      button.disabled = false;
      button.textContent = "Resend code";
      return;
    }
    if (label) label.textContent = String(left);
  }, 1000);
});
