/*
 * Small helps on the account forms; every rule is the server's, this only hints.
 *
 * - Error summary (GOV.UK pattern): focused when the page loads so screen readers
 *   announce it; its links move focus to the field they name.
 * - Password requirements tick themselves off as the reader types, with one polite
 *   announcement of how many are met; a "Show password" toggle.
 * - Email, names and date of birth get a polite hint as soon as what is typed breaks
 *   a rule (the messages come from the page, so they are translated like the rest).
 * - Once the reader changes a field the server complained about, the server's message
 *   for it goes (beside the field and in the summary), so a stale error never sits
 *   next to a live hint that says something else; the server checks again on submit.
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
              ? (statusBox.getAttribute("data-status-template") || "{met} of {total}")
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

  // The same rules as masthead/readers/validators.py, as hints only.
  var NAME = /^[\p{L}\p{M}]+(?:[ '\u2019\u02bc\-\u2010][\p{L}\p{M}]+)*$/u;
  var checks = {
    email: function (v) {
      return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? "" : "email";
    },
    name: function (v) {
      v = v.trim().replace(/\s+/g, " ").normalize("NFC");
      if (/\p{Nd}/u.test(v)) return "name-digits";
      if (Array.from(v).length > 40) return "name-long";
      return NAME.test(v) ? "" : "name-characters";
    },
    dob: function (v) {
      var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
      if (!parts) return "";
      var born = new Date(+parts[1], +parts[2] - 1, +parts[3]);
      var today = new Date();
      today.setHours(0, 0, 0, 0);
      if (born >= today) return "dob-future";
      var age = today.getFullYear() - born.getFullYear();
      var birthday = new Date(today.getFullYear(), born.getMonth(), born.getDate());
      if (born.getMonth() === 1 && born.getDate() === 29 && birthday.getMonth() !== 1) {
        birthday = new Date(today.getFullYear(), 2, 1); // 29 Feb counts from 1 March
      }
      if (today < birthday) age--;
      if (age > 120) return "dob-old";
      return age < 18 ? "dob-young" : "";
    },
  };

  // Drop the server's message for `input`: its text, red bar, aria wiring and summary
  // line (the whole summary once it lists nothing).
  function clearServerError(form, input) {
    var error = document.getElementById(input.id + "_error");
    if (!error) return;
    error.remove();
    var field = input.closest(".field");
    if (field && !field.querySelector(".field__error")) field.classList.remove("field--error");
    input.removeAttribute("aria-invalid");
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
      return id && id !== error.id;
    });
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
    var summary = (form.parentElement || document).querySelector("[data-error-summary]");
    if (!summary) return;
    summary.querySelectorAll("a[href='#" + input.id + "']").forEach(function (link) {
      link.closest("li").remove();
    });
    if (!summary.querySelector("li")) summary.remove();
  }

  function clearWhenChanged(form, input) {
    var submitted = input.value;
    var check = function () {
      if (input.value !== submitted) clearServerError(form, input);
    };
    input.addEventListener("input", check);
    input.addEventListener("change", check);
  }

  function liveHints(form) {
    if (!once(form)) return;
    form.querySelectorAll("input[aria-invalid=true]").forEach(function (input) {
      if (input.id) clearWhenChanged(form, input);
    });
    [
      ["id_email", "email"],
      ["id_first_name", "name"],
      ["id_last_name", "name"],
      ["id_date_of_birth", "dob"],
    ].forEach(function (pair) {
      var input = form.querySelector("#" + pair[0]);
      if (!input) return;
      var hint = document.createElement("p");
      hint.className = "field__live";
      hint.id = pair[0] + "_live";
      hint.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", hint);
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", (described ? described + " " : "") + hint.id);
      var timer = null;
      var show = function () {
        var value = input.value.trim();
        var problem = value ? checks[pair[1]](value) : "";
        hint.textContent = problem ? form.getAttribute("data-hint-" + problem) || "" : "";
      };
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(show, 600);
      });
      input.addEventListener("blur", show);
    });
  }

  var baseInit = init;
  init = function (root) {
    baseInit(root);
    var form = (root || document).querySelector("[data-registration-form]");
    if (form) liveHints(form);
  };

  window.MastheadRegistration = { init: init };
  init(document);
})();
