// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Copy buttons: <button data-copy="text to copy">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      var done = button.getAttribute("data-copied") || "Copied";
      var before = button.textContent;
      button.textContent = done;
      setTimeout(function () { button.textContent = before; }, 2000);
    });
  });
})();
