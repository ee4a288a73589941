// Keeps the send's progress up to date without a reload (the page works without it).
(function () {
  "use strict";
  var box = document.getElementById("send-progress");
  if (!box) return;
  var bar = box.querySelector("progress");
  var finished = ["sent", "cancelled"];
  function update() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        box.querySelectorAll("[data-field]").forEach(function (el) {
          var value = data[el.dataset.field];
          if (value !== undefined) el.textContent = value;
        });
        bar.value = data.percent;
        bar.textContent = data.percent + "%";
        if (finished.indexOf(data.status) === -1) window.setTimeout(update, 2000);
      })
      .catch(function () { window.setTimeout(update, 5000); });
  }
  window.setTimeout(update, 2000);
})();
