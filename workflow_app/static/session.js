// Warns before the idle timeout ends the session (templates/accounts/_session_warning.html).
// It asks the server how long is left (GET /session/status is not activity, so another tab's
// work counts), shows the warning shortly before the end with a "Stay logged in" button
// (POST /session/keep-alive), and says so once the session has ended. Typing in the page
// counts as being there: the session is then kept going without asking. Pages work the same
// without this script.
(function () {
  "use strict";
  var banner = document.getElementById("session-warning");
  if (!banner || !window.fetch) {
    return;
  }
  var data = banner.dataset;
  var parts = {};
  banner.querySelectorAll("[data-session]").forEach(function (element) {
    parts[element.getAttribute("data-session")] = element;
  });
  var timer = null;
  var lastKept = Date.now(); // the page's load or the last "stay logged in"
  var lastInput = 0;

  function later(seconds) {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, Math.max(seconds, 1) * 1000);
  }

  function show(which) {
    ["soon", "final", "ended"].forEach(function (name) {
      parts[name].hidden = name !== which;
    });
    parts.stay.hidden = which !== "soon";
    parts.close.hidden = which === "soon"; // nothing to do but read it: out of the way
    banner.hidden = false;
  }

  // Any answer that is not the JSON of a live session (a login page, an error) means ended.
  function read(response) {
    var type = response.headers.get("Content-Type") || "";
    if (!response.ok || type.indexOf("application/json") !== 0) {
      return { active: false };
    }
    return response.json();
  }

  function react(state) {
    if (!state.active) {
      window.clearTimeout(timer);
      show("ended");
      return;
    }
    var idle = state.idle_seconds_left;
    var absolute = state.absolute_seconds_left;
    var idleFirst = idle !== null && (absolute === null || idle < absolute);
    var left = idleFirst ? idle : absolute;
    if (left === null) {
      banner.hidden = true;
      return;
    }
    if (left > state.warning_seconds) {
      banner.hidden = true;
      later(left - state.warning_seconds);
      return;
    }
    if (idleFirst && lastInput > lastKept) {
      stay();
      return;
    }
    show(idleFirst ? "soon" : "final");
    later(left + 1);
  }

  function ask(url, options) {
    options.credentials = "same-origin";
    options.headers = Object.assign({ Accept: "application/json" }, options.headers || {});
    return window.fetch(url, options).then(read).then(react, function () {
      later(30); // the network failed: ask again soon
    });
  }

  function check() {
    return ask(data.statusUrl, { method: "GET" });
  }

  function stay() {
    lastKept = Date.now();
    return ask(data.keepAliveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": data.csrfToken }
    });
  }

  parts.stay.addEventListener("click", stay);
  parts.close.addEventListener("click", function () {
    banner.hidden = true;
  });
  document.addEventListener("input", function () {
    lastInput = Date.now();
  }, true);
  later(Number(data.checkIn));
})();
