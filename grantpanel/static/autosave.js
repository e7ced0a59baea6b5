/*
 * Score sheet autosave (progressive enhancement).
 *
 * Without this script the score sheet works as before: "Save as draft" and "Submit my scores"
 * are ordinary form posts. With it:
 *
 * - about 2 seconds after the member last changed an answer or typed in a box, and when the
 *   page is hidden (phone locked, tab switched), the form is posted in the background as a
 *   draft save: same address, same CSRF token, the "Save as draft" button's name and value, and
 *   the header "X-Requested-With: fetch". The server answers 204 (saved) or a small JSON
 *   message; the result is shown in the polite live region ".autosave-status";
 * - while the member types, a copy of the answers is kept in this browser (localStorage), under
 *   a key naming the member, round and application. If the page loads with an empty form, or
 *   with the same saved draft the copy was made from, and the copy holds different answers, the
 *   copy is put back and the member is told. The copy is removed once the server holds the same
 *   answers, and when the member presses Submit or Save as draft;
 * - a submitted sheet, or one that can no longer be changed, is never saved automatically
 *   (the form says data-autosave="off"): the script then only forgets any stored copy.
 *
 * The messages it shows come from the form's data-message-* attributes, which the template fills
 * through gettext, so they are translated with the rest of the page: data-message-saved (with
 * "{time}" where the clock time goes), data-message-failed and data-message-restored.
 *
 * No inline script is needed (CSP: script-src 'self'); the page includes this file with defer.
 */
(function () {
  "use strict";

  var DELAY_MS = 2000;

  var form = document.querySelector("form.score-sheet[data-autosave]");
  if (!form || !window.fetch || !window.FormData || !window.JSON) {
    return;
  }
  // The page's translated messages (see the comment at the top).
  var FAILED = form.getAttribute("data-message-failed") || "";
  var RESTORED = form.getAttribute("data-message-restored") || "";
  var SAVED = form.getAttribute("data-message-saved") || "";
  var key = form.getAttribute("data-autosave-key");
  var storage = null;
  try {
    storage = window.localStorage;
  } catch (e) {
    storage = null; // storage turned off: autosave still works, without the local copy
  }

  function readCopy() {
    if (!storage || !key) return null;
    try {
      var copy = JSON.parse(storage.getItem(key) || "null");
      return copy && typeof copy.answers === "object" ? copy : null;
    } catch (e) {
      return null;
    }
  }

  function removeCopy() {
    if (!storage || !key) return;
    try {
      storage.removeItem(key);
    } catch (e) {
      /* nothing more to do */
    }
  }

  if (form.getAttribute("data-autosave") !== "on") {
    // Submitted already, or scoring is closed: nothing is saved automatically.
    removeCopy();
    return;
  }

  var status = form.querySelector(".autosave-status");
  var restoredNote = form.querySelector(".autosave-restored");
  var draftButton = form.querySelector("[name=save_draft]");
  var version = form.getAttribute("data-sheet-version") || "";

  var timer = null;
  var inFlight = false;
  var again = false;
  var stopped = false; // the server said this sheet cannot be saved (closed, submitted)
  var leaving = false; // a button was pressed: the form's own post does the saving

  // The member's answers: checked radios and text boxes, by field name.
  function answers() {
    var out = {};
    for (var i = 0; i < form.elements.length; i++) {
      var el = form.elements[i];
      if (!el.name || el.disabled) continue;
      var type = (el.type || "").toLowerCase();
      if (type === "hidden" || type === "submit" || type === "button" || type === "reset") {
        continue;
      }
      if (type === "radio" || type === "checkbox") {
        if (el.checked) out[el.name] = el.value;
        continue;
      }
      out[el.name] = el.value;
    }
    return out;
  }

  function stable(values) {
    var names = Object.keys(values).sort();
    var pairs = [];
    for (var i = 0; i < names.length; i++) {
      if (values[names[i]] !== "") pairs.push([names[i], values[names[i]]]);
    }
    return JSON.stringify(pairs);
  }

  function isEmpty(values) {
    return stable(values) === "[]";
  }

  function putBack(values) {
    for (var i = 0; i < form.elements.length; i++) {
      var el = form.elements[i];
      if (!el.name || !Object.prototype.hasOwnProperty.call(values, el.name)) continue;
      var type = (el.type || "").toLowerCase();
      if (type === "radio" || type === "checkbox") {
        el.checked = values[el.name] === el.value;
      } else if (el.tagName === "TEXTAREA" || type === "text") {
        el.value = values[el.name];
      }
    }
  }

  function writeCopy() {
    if (!storage || !key) return;
    try {
      storage.setItem(key, JSON.stringify({ version: version, answers: answers() }));
    } catch (e) {
      /* storage full or turned off: the server save still happens */
    }
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  function clock(date) {
    var h = date.getHours();
    var m = date.getMinutes();
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  var lastSaved = form.getAttribute("data-unsaved") ? null : stable(answers());

  function schedule() {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      save(false);
    }, DELAY_MS);
  }

  function refused(resp) {
    var type = resp.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) {
      say(FAILED);
      return null;
    }
    return resp.json().then(
      function (data) {
        if (resp.status === 403 || resp.status === 409) stopped = true;
        say(data && data.message ? data.message : FAILED);
      },
      function () {
        say(FAILED);
      }
    );
  }

  function save(keepalive) {
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
    if (stopped || leaving) return;
    var sent = stable(answers());
    if (sent === lastSaved) {
      removeCopy();
      return;
    }
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    var body = new FormData(form);
    body.append(
      draftButton ? draftButton.name : "save_draft",
      draftButton ? draftButton.value : "Save as draft"
    );
    window
      .fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        redirect: "manual", // a redirect (say, to sign in) is not a save
        keepalive: !!keepalive,
        headers: { "X-Requested-With": "fetch" },
      })
      .then(function (resp) {
        if (resp.status === 204) {
          lastSaved = sent;
          version = resp.headers.get("X-Draft-Version") || version;
          if (stable(answers()) === sent) {
            removeCopy();
          } else {
            writeCopy();
          }
          say(SAVED.replace("{time}", clock(new Date())));
          return null;
        }
        return refused(resp);
      })
      .catch(function () {
        say(FAILED);
      })
      .then(function () {
        inFlight = false;
        if (again) {
          again = false;
          schedule();
        }
      });
  }

  function edited() {
    writeCopy();
    if (!stopped) schedule();
  }

  // Put back a copy of answers that were not saved, if it belongs to what the page shows.
  var copy = readCopy();
  var shown = answers();
  if (copy) {
    if (stable(copy.answers) === stable(shown)) {
      removeCopy();
    } else if (isEmpty(shown) || copy.version === version) {
      putBack(copy.answers);
      if (restoredNote) restoredNote.hidden = false;
      say(RESTORED);
      schedule();
    } else {
      // The server has a newer save (another device, or a button press): that one stands.
      removeCopy();
    }
  }
  if (lastSaved === null) {
    // The page came back from the server with answers it did not save (a problem to fix).
    writeCopy();
  }

  form.addEventListener("change", edited);
  form.addEventListener("input", edited);
  form.addEventListener("submit", function () {
    leaving = true;
    if (timer) window.clearTimeout(timer);
    removeCopy();
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) leaving = false; // back from the browser's page cache
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save(true);
  });
})();
