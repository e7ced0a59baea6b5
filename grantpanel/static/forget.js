/* After signing out: forget every unsaved score-sheet copy this browser kept, so the next
 * person using a shared phone or library computer cannot read them. Loaded only on the page
 * shown straight after signing out. */
(function () {
  "use strict";
  var PREFIX = "grantpanel-unsaved:";
  var storage;
  try {
    storage = window.localStorage;
  } catch (e) {
    return;
  }
  if (!storage) return;
  var doomed = [];
  for (var i = 0; i < storage.length; i++) {
    var k = storage.key(i);
    if (k && k.indexOf(PREFIX) === 0) doomed.push(k);
  }
  for (var j = 0; j < doomed.length; j++) storage.removeItem(doomed[j]);
})();
