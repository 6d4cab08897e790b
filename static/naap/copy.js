// Copy buttons: <button data-target="input-id"> copies that input's value.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-target]");
  if (!button) return;
  const input = document.getElementById(button.dataset.target);
  if (!input) return;
  input.select();
  navigator.clipboard?.writeText(input.value).then(
    () => { button.textContent = "Copied"; },
    () => { button.textContent = "Press Ctrl+C"; },
  );
});
