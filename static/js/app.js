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
