// Adds the reader's own time beside an event's time when their device is set to another
// timezone than the event's. Without JavaScript the event's own timezone is shown, and
// the time in a timezone the reader chose (?tz=, or saved) is rendered by the server:
// that choice wins, so nothing is added where the page already shows it.
(function () {
  "use strict";
  var blocks = document.querySelectorAll(".event-when");
  blocks.forEach(function (block) {
    var times = block.querySelectorAll("time[data-local-time]");
    var label = block.querySelector("[data-local-time-label]");
    if (!times.length || !label || block.hasAttribute("data-reader-zone")) return;
    var zone = (block.querySelector(".event-when__zone") || {}).textContent || "";
    var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!mine || zone.indexOf(mine) !== -1) return;
    var parts = [];
    times.forEach(function (time) {
      var when = new Date(time.getAttribute("datetime"));
      if (isNaN(when)) return;
      var options = time.hasAttribute("data-local-time-only")
        ? { hour: "2-digit", minute: "2-digit" }
        : { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" };
      parts.push(when.toLocaleString(undefined, options));
    });
    label.textContent = label.getAttribute("data-local-time-label") + " " + parts.join(" – ") + " (" + mine + ")";
    label.hidden = false;
  });
})();
