// cebulk's console: follows a running import. The result page marks the progress with
// data-progress, the URL of its JSON; this polls it, moves the bar and the rate, and
// reloads the page (which then shows the result) once the import has ended.
"use strict";

(function () {
  var running = document.getElementById("running");
  if (!running) {
    return;
  }
  var url = running.getAttribute("data-progress");
  var bar = document.getElementById("progress");
  var events = document.getElementById("events");
  var rate = document.getElementById("rate");
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (progress) {
        if (progress.status !== "running") {
          window.location.reload();
          return;
        }
        if (progress.total_bytes > 0) {
          bar.max = progress.total_bytes;
          bar.value = Math.min(progress.bytes, progress.total_bytes);
        } else {
          bar.removeAttribute("value");
        }
        events.textContent = String(progress.events);
        rate.textContent = String(Math.round(progress.events_per_second));
        window.setTimeout(poll, 500);
      })
      .catch(function () {
        window.setTimeout(poll, 2000);
      });
  }
  poll();
})();
