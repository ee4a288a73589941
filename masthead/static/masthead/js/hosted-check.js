/*
 * A hosted bot check (reCAPTCHA, hCaptcha or Cloudflare Turnstile), drawn by our own
 * script with the provider's explicit-render API.
 *
 * The box in the form (account/includes/botcheck_hosted.html) names the provider's
 * script, the global its script defines, the site key and the field the server reads the
 * token from. No <script> tag of the provider's is in our markup: one inside a fetched
 * fragment (the wall's registration form, a sign-up box) would never run. Instead the
 * provider's script is added here, once per page, with `?render=explicit&onload=...`,
 * and each box is rendered with `<api>.render(element, {sitekey, callback})`; the
 * widget keeps its token in a hidden field of that name (the callback adds one if the
 * widget made none).
 *
 * When the provider is contacted:
 * - a whole page that shows the form (the sign-up page) renders its boxes as it loads;
 * - a form inserted later calls `window.MastheadHostedCheck.initWhenUsed(root)`: its
 *   box is rendered when the reader turns to the form (focus, a press, or sending it),
 *   so a reader who only reads past it never contacts the provider;
 * - `window.MastheadHostedCheck.init(root)` renders now.
 * A form sent before its token is in waits for it (the submission held back, the
 * default prevented and propagation stopped, by a listener that runs before any other),
 * then is sent again with requestSubmit(); if the provider's script cannot load, the
 * form goes as it is and the server says what is missing. The server is the authority:
 * it checks every token with the provider.
 */
(function () {
  "use strict";

  var loading = {}; // the provider's script URL -> a promise of its API
  var counter = 0;

  function providerApi(box) {
    var url = box.getAttribute("data-script-url");
    var name = box.getAttribute("data-api");
    if (!loading[url]) {
      loading[url] = new Promise(function (resolve, reject) {
        var callback = "mastheadHostedCheckLoaded" + ++counter;
        var script = document.createElement("script");
        window[callback] = function () {
          delete window[callback];
          if (window[name] && typeof window[name].render === "function") resolve(window[name]);
          else reject(new Error("no " + name + ".render"));
        };
        var src = new URL(url, window.location.href);
        src.searchParams.set("render", "explicit");
        src.searchParams.set("onload", callback);
        script.src = src.href;
        script.async = true;
        script.onerror = function () {
          delete window[callback];
          script.remove();
          delete loading[url]; // a later try loads it afresh
          reject(new Error("could not load " + url));
        };
        document.head.appendChild(script);
      });
    }
    return loading[url];
  }

  function say(box, text) {
    var status = box.querySelector("[data-hosted-check-status]");
    if (status) status.textContent = text || "";
  }

  function keep(box, token) {
    var form = box.closest("form") || box;
    var name = box.getAttribute("data-field");
    var field = null;
    form.querySelectorAll("input, textarea").forEach(function (el) {
      if (!field && el.name === name) field = el;
    });
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = name;
      box.appendChild(field);
    }
    field.value = token;
  }

  function resume(form) {
    if (!form || !form.hasAttribute("data-hosted-check-waiting")) return;
    form.removeAttribute("data-hosted-check-waiting");
    var button = form.querySelector("[type=submit]");
    if (button) button.removeAttribute("aria-disabled");
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  function render(box) {
    if (box.hasAttribute("data-hosted-check-started")) return;
    box.setAttribute("data-hosted-check-started", "");
    box.setAttribute("data-hosted-check-state", "loading");
    var form = box.closest("form");
    var target = box.querySelector("[data-hosted-check-widget]") || box;
    providerApi(box)
      .then(function (api) {
        api.render(target, {
          sitekey: box.getAttribute("data-sitekey"),
          callback: function (token) {
            keep(box, token);
            box.setAttribute("data-hosted-check-state", "verified");
            say(box, "");
            resume(form);
          },
          "expired-callback": function () {
            keep(box, "");
            box.setAttribute("data-hosted-check-state", "shown");
          },
        });
        if (box.getAttribute("data-hosted-check-state") === "loading") {
          box.setAttribute("data-hosted-check-state", "shown");
          if (!form || !form.hasAttribute("data-hosted-check-waiting")) say(box, "");
        }
      })
      .catch(function () {
        box.removeAttribute("data-hosted-check-started"); // the next try loads it again
        box.setAttribute("data-hosted-check-state", "failed");
        say(box, box.getAttribute("data-failed-text"));
        resume(form); // sent as it is: the server says what is missing
      });
  }

  // Hold a submission back until the form's token is in (the listener runs first: it
  // is a capture listener on the form itself).
  function hold(form) {
    if (form.hasAttribute("data-hosted-check-held")) return;
    form.setAttribute("data-hosted-check-held", "");
    form.addEventListener(
      "submit",
      function (event) {
        var waiting = false;
        form.querySelectorAll("[data-hosted-check]").forEach(function (box) {
          var state = box.getAttribute("data-hosted-check-state");
          if (state === "verified" || state === "failed") return;
          waiting = true;
          render(box);
          say(box, box.getAttribute("data-waiting-text"));
        });
        if (!waiting) return;
        event.preventDefault();
        event.stopImmediatePropagation();
        form.setAttribute("data-hosted-check-waiting", "");
        var button = form.querySelector("[type=submit]");
        if (button) button.setAttribute("aria-disabled", "true");
      },
      { capture: true },
    );
  }

  function boxes(root) {
    var found = [];
    if (root.matches && root.matches("[data-hosted-check]")) found.push(root);
    root.querySelectorAll("[data-hosted-check]").forEach(function (box) {
      found.push(box);
    });
    return found;
  }

  function init(root) {
    boxes(root || document).forEach(function (box) {
      var form = box.closest("form");
      if (form) hold(form);
      render(box);
    });
  }

  function initWhenUsed(root) {
    boxes(root || document).forEach(function (box) {
      var form = box.closest("form");
      if (!form) {
        render(box);
        return;
      }
      hold(form);
      var start = function () {
        render(box);
      };
      form.addEventListener("focusin", start, { once: true });
      form.addEventListener("pointerdown", start, { once: true });
    });
  }

  window.MastheadHostedCheck = { init: init, initWhenUsed: initWhenUsed };
  // A whole page showing the form: it is shown, so render it now. (Forms inserted
  // later are started by the script that inserts them.)
  init(document);
})();
