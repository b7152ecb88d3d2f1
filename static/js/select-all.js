// A header checkbox with data-select-all="NAME" ticks or clears every checkbox named NAME in
// its form. Shared by every list with selections; without JavaScript the lists offer a
// "Select all on this page" link instead.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll || !box.form) return;
  const name = box.dataset.selectAll;
  for (const other of box.form.querySelectorAll(`input[type="checkbox"][name="${name}"]`)) {
    other.checked = box.checked;
  }
});
