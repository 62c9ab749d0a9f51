// The import page while a file is checked or saved: the button is disabled (a
// second click would send the file again) and the page says what is happening,
// with the number of rows of a CSV file, counted here before it is sent.
(function () {
  "use strict";
  document.querySelectorAll("form[data-import-check]").forEach(function (form) {
    var progress = form.querySelector("[data-import-progress]");
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
      if (!progress) return;
      progress.textContent = progress.dataset.fileText;
      progress.classList.remove("d-none");
      var input = form.querySelector("input[type=file]");
      var file = input && input.files[0];
      if (!file || !/\.csv$/i.test(file.name) || !progress.dataset.rowsText) return;
      file.text().then(function (text) {
        var rows = text.split("\n").filter(function (line) { return line.trim(); }).length - 1;
        progress.textContent = progress.dataset.rowsText.replace(
          "%(rows)s", rows.toLocaleString("en-MY")
        );
      });
    });
  });
})();
