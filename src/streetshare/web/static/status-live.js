// The street status page, live (progressive enhancement: without JavaScript the page works and
// its Refresh link shows what's new). The server says `status` on an event stream when the street's
// status may have changed; the page then fetches its topics again and swaps them in. The first
// event carries the version the stream started at: a change made between the page being drawn and
// the stream opening is caught by comparing it with the page's own.
(function () {
  "use strict";

  var region = document.getElementById("status-live");
  if (!region || !window.EventSource || !window.fetch) return;
  var note = document.getElementById("status-note");
  var version = region.getAttribute("data-version");
  var busy = false, again = false;

  function say(text) { if (note) note.textContent = text; }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(region.getAttribute("data-fragment"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        version = response.headers.get("X-Status-Version") || version;
        return response.text();
      })
      .then(function (html) {
        var focused = document.activeElement;
        var keep = focused && region.contains(focused) && focused.closest("form");
        var action = keep ? keep.getAttribute("action") + "|" + (keep.querySelector("[name=answer]") || {}).value : null;
        region.innerHTML = html;
        if (action) {  // put the keyboard focus back on the same button
          region.querySelectorAll("form").forEach(function (form) {
            var answer = form.querySelector("[name=answer]");
            if (form.getAttribute("action") + "|" + (answer && answer.value) === action) form.querySelector("button").focus();
          });
        }
        say("Updated " + new Date().toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" }));
      })
      .catch(function () { say("Couldn't update: use Refresh."); })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  var source = new EventSource(region.getAttribute("data-events"));
  region.setAttribute("data-live", "connecting");
  source.addEventListener("status", function (event) {
    region.setAttribute("data-live", "open");
    // "changed", or a version other than the page's. A moment's random wait spreads a whole street's
    // pages fetching at once.
    if (event.data !== version) setTimeout(refresh, Math.random() * 800);
  });
  source.addEventListener("error", function () { region.setAttribute("data-live", "reconnecting"); });
  say("Updates by itself");
})();
