// Site-wide behaviour. No inline scripts anywhere: the CSP forbids them.
(function () {
  "use strict";
  // htmx requests carry Django's CSRF token (read from the form on the page).
  document.addEventListener("htmx:configRequest", function (event) {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) { event.detail.headers["X-CSRFToken"] = input.value; }
  });
  // When the polled notification badge shows more unread than before, say so in a
  // toast (the toasts region is a polite live region for screen readers too).
  var badgeCount = function () {
    var badge = document.getElementById("notification-badge");
    return badge ? parseInt(badge.dataset.count || "0", 10) : 0;
  };
  var lastCount = null;
  document.addEventListener("DOMContentLoaded", function () { lastCount = badgeCount(); });
  document.addEventListener("htmx:afterSwap", function () {
    var badge = document.getElementById("notification-badge");
    if (!badge) { return; }
    var count = badgeCount();
    if (lastCount !== null && count > lastCount && badge.dataset.latest) {
      var toasts = document.getElementById("toasts");
      var toast = document.createElement("a");
      toast.className = "toast";
      toast.href = badge.getAttribute("href");
      toast.textContent = badge.dataset.latest;
      toasts.appendChild(toast);
      setTimeout(function () { toast.remove(); }, 10000);
    }
    lastCount = count;
  });
  // Real-time: when the badge carries data-stream (Redis is configured and the page
  // came through ASGI), one EventSource per page hears "a notification arrived" and
  // asks htmx to re-fetch the badge (the toast above follows). htmx still polls, every
  // 120 s, as a safety net; while the stream is down this polls every 30 s instead.
  var FALLBACK_MS = 30000;
  var RETRY_CLOSED_MS = 300000;
  var stream = null;
  var streamUrl = null;
  var opened = false;
  var fallbackTimer = null;
  var refresh = function () {
    document.body.dispatchEvent(new CustomEvent("copro:refresh"));
  };
  var setFallback = function (on) {
    if (on && fallbackTimer === null) {
      fallbackTimer = setInterval(refresh, FALLBACK_MS);
    } else if (!on && fallbackTimer !== null) {
      clearInterval(fallbackTimer);
      fallbackTimer = null;
    }
  };
  var connect = function () {
    var badge = document.getElementById("notification-badge");
    var url = badge ? badge.dataset.stream : "";
    if (!url) {
      if (stream) { stream.close(); stream = null; streamUrl = null; }
      setFallback(false);  // no stream: the badge itself polls every 30 s
      return;
    }
    // htmx replaces the whole badge on every refresh: keep the page's one stream.
    if (stream && streamUrl === url) { return; }
    if (!window.EventSource) { setFallback(true); return; }
    if (stream) { stream.close(); }
    var source = new EventSource(url);
    stream = source;
    streamUrl = url;
    source.addEventListener("open", function () {
      setFallback(false);
      if (opened) { refresh(); }  // reconnected: catch up on what came meanwhile
      opened = true;
    });
    source.addEventListener("notification", refresh);
    source.addEventListener("error", function () {
      setFallback(true);
      // Refused (no Redis, Redis down, signed out): the browser gives up; try again
      // later. Otherwise it reconnects by itself after the server's `retry`.
      if (source.readyState === EventSource.CLOSED && stream === source) {
        setTimeout(function () {
          if (stream === source) { stream = null; connect(); }
        }, RETRY_CLOSED_MS);
      }
    });
  };
  document.addEventListener("DOMContentLoaded", connect);
  document.addEventListener("htmx:afterSwap", connect);
  // Escape closes an open menu and returns focus to its toggle.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
  // A click outside an open menu closes it.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
  });
})();
