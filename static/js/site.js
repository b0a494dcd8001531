// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Copy buttons: <button data-copy="text to copy">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      var done = button.getAttribute("data-copied") || "Copied";
      var label = button.lastChild;
      var before = label.textContent;
      label.textContent = done;
      setTimeout(function () { label.textContent = before; }, 2000);
    });
  });
  // The phone's own share sheet (Web Share API) where there is one; the links stay as the fallback.
  if (navigator.share) {
    document.querySelectorAll(".share-native").forEach(function (box) { box.hidden = false; });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-share-url]");
      if (!button) return;
      navigator.share({ text: button.getAttribute("data-share-text"), url: button.getAttribute("data-share-url") })
        .catch(function () { /* dismissed: the links below remain */ });
    });
  }
})();
