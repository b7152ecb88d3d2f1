// Keeps the SCAN-form countdowns current between page loads. The server renders the first
// value and the seconds left, so a wrong clock on the merchant's computer changes nothing.
const loaded = performance.now();
function render(seconds) {
  if (seconds <= 0) return "0 min";
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return hours ? `${hours} h ${String(minutes).padStart(2, "0")} min` : `${minutes} min`;
}
setInterval(() => {
  const elapsed = (performance.now() - loaded) / 1000;
  document.querySelectorAll("[data-seconds-left]").forEach((element) => {
    element.textContent = render(parseInt(element.dataset.secondsLeft, 10) - elapsed);
  });
}, 30000);
