// Share and copy buttons for prepared texts (progressive enhancement: without JavaScript the
// text sits in a read-only box to copy by hand). "Share" uses the phone's share sheet (Web Share
// API) where there is one; "Copy" puts the text on the clipboard. Also: the flyer's Print button.
(function () {
  "use strict";

  function say(id, message) {
    var status = document.getElementById(id + "-status");
    if (status) status.textContent = message;
  }

  function copy(area) {
    var text = area.value;
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { say(area.id, "Copied. Now paste it into your group chat."); });
    }
    area.focus();
    area.select();
    try {
      document.execCommand("copy");
      say(area.id, "Copied. Now paste it into your group chat.");
    } catch (e) {
      say(area.id, "Select the text and copy it.");
    }
    return Promise.resolve();
  }

  document.querySelectorAll("[data-share-for]").forEach(function (button) {
    var area = document.getElementById(button.getAttribute("data-share-for"));
    if (!area || !navigator.share) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({ text: area.value }).catch(function (error) {
        if (error && error.name === "AbortError") return;
        copy(area);
      });
    });
  });

  document.querySelectorAll("[data-copy-for]").forEach(function (button) {
    var area = document.getElementById(button.getAttribute("data-copy-for"));
    if (!area) return;
    button.hidden = false;
    button.addEventListener("click", function () { copy(area); });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
