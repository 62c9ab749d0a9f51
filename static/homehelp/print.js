// A print button without inline script (the Content-Security-Policy allows none).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
