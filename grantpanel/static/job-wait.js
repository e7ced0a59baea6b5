// While a background job runs, the count page checks again every 5 seconds by itself.
// Without JavaScript the "Check again" link does the same.
(function () {
  "use strict";
  var link = document.querySelector("[data-job-wait]");
  if (!link) { return; }
  window.setTimeout(function () { window.location.assign(link.href); }, 5000);
}());
