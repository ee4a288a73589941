/*
 * Small helps on the account forms; every rule is the server's, this only hints.
 *
 * - Error summary (GOV.UK pattern): focused when the page loads so screen readers
 *   announce it; its links move focus to the field they name.
 * - Password requirements tick themselves off as the reader types, with one polite
 *   announcement of how many are met; a "Show password" toggle.
 * Without JavaScript the forms work the same, minus these hints.
 */
(function () {
  "use strict";

  function once(node) {
    if (node.hasAttribute("data-helps-added")) return false;
    node.setAttribute("data-helps-added", "");
    return true;
  }

  function init(root) {
    root = root || document;
    var summary = root.querySelector("[data-error-summary]");
    if (summary && once(summary)) {
      summary.focus();
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a[href^='#']");
        if (!link) return;
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) return;
        event.preventDefault();
        var label = document.querySelector("label[for='" + target.id + "']") || target;
        label.scrollIntoView({ block: "start" });
        target.focus({ preventScroll: true });
      });
    }

    var field = root.querySelector("[data-password-field]");
    if (field && once(field)) {
      var input = field.querySelector("input");
      var rules = field.querySelectorAll("[data-rule]");
      var statusBox = field.querySelector("[data-password-status]");
      var tests = {
        length: function (v) { return Array.from(v).length >= 6; },
        upper: function (v) { return /\p{Lu}/u.test(v); },
        lower: function (v) { return /\p{Ll}/u.test(v); },
        digit: function (v) { return /\p{Nd}/u.test(v); },
      };
      var timer = null;
      var update = function () {
        var value = input.value;
        var met = 0;
        rules.forEach(function (rule) {
          var ok = tests[rule.getAttribute("data-rule")](value);
          rule.classList.toggle("is-met", ok);
          rule.setAttribute("data-met", ok ? "true" : "false");
          if (ok) met++;
        });
        if (statusBox) {
          clearTimeout(timer);
          timer = setTimeout(function () {
            statusBox.textContent = value
              ? (field.getAttribute("data-status-template") || "{met} of {total}")
                  .replace("{met}", met)
                  .replace("{total}", rules.length)
              : "";
          }, 800);
        }
      };
      input.addEventListener("input", update);
      update();

      var toggle = field.querySelector("[data-password-toggle]");
      if (toggle) {
        var showText = toggle.textContent;
        var hideText = toggle.getAttribute("data-hide-text") || showText;
        toggle.hidden = false;
        toggle.addEventListener("click", function () {
          var showing = input.type === "text";
          input.type = showing ? "password" : "text";
          toggle.textContent = showing ? showText : hideText;
        });
      }
    }
  }

  window.MastheadRegistration = { init: init };
  init(document);
})();
