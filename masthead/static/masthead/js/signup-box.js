// Newsletter sign-up boxes in an article body, progressively enhanced.
// The box in the page is the same for every reader and is cached with the article, so
// it holds no CSRF token and nothing about the reader; without JavaScript its link
// leads to the newsletter's sign-up page. With it:
// 1. When a box comes near the screen, this reader's part is fetched into its slot
//    (private, with its own CSRF token): the sign-up form, one click to subscribe for a
//    signed-in reader, or "you're subscribed". A 204 means the newsletter is no longer
//    open: the box goes. Anything else that fails leaves the link in place.
// 2. The sign-up form posts as a plain form to the sign-up page's own view, whose
//    answer is a page ("check your inbox", or what is wrong with the address as typed).
//    Its bot check (altcha-solver.js, or hosted-check.js for a hosted provider, whose
//    script it loads only then) starts when the reader turns to the form, not on every
//    article view; a form sent before it started waits for its answer.
// 3. One click to subscribe is sent with fetch and the answer replaces the slot, focus
//    on what it says; if that fails the form is sent as a page instead.
// 4. When the wall swaps in the whole body after signing in (wall.js), the new body's
//    boxes are filled for the reader as they now are.
(() => {
  const HEADER = "X-Signup-Box";

  const startCheck = (form) => {
    if (window.MastheadAltcha) window.MastheadAltcha.init(form);
  };

  const wireSignup = (form) => {
    form.addEventListener("focusin", () => startCheck(form), { once: true });
    form.addEventListener(
      "submit",
      (event) => {
        const check = form.querySelector("[data-altcha]");
        if (!check || check.hasAttribute("data-altcha-started") || !window.MastheadAltcha) {
          return;
        }
        // Sent before the check began: start it, then send again (its own listener
        // holds the form until the answer is in).
        event.preventDefault();
        event.stopImmediatePropagation();
        startCheck(form);
        window.setTimeout(() => (form.requestSubmit ? form.requestSubmit() : form.submit()), 0);
      },
      { capture: true },
    );
  };

  const wireSubscribe = (box, slot, form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("[type=submit]");
      if (button) button.setAttribute("aria-disabled", "true");
      let html = null;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { Accept: "text/html", [HEADER]: box.id },
        });
        if (response.status === 204) {
          // Closed to sign-ups since the box was drawn: say so where the button was,
          // so keyboard focus is not lost with it.
          const said = document.createElement("p");
          said.className = "signup-box__status";
          said.setAttribute("role", "status");
          said.tabIndex = -1;
          said.textContent = box.dataset.closedText || "";
          slot.replaceChildren(said);
          said.focus();
          return;
        }
        if (response.ok && response.headers.get(HEADER) === "1") html = await response.text();
      } catch (error) {
        html = null;
      }
      if (button) button.removeAttribute("aria-disabled");
      if (html === null) {
        form.submit(); // as a page: signed out since, or the network failed
        return;
      }
      show(box, slot, html);
      const status = slot.querySelector("[data-signup-status]");
      if (status) status.focus();
    });
  };

  const show = (box, slot, html) => {
    slot.innerHTML = html;
    const signup = slot.querySelector("form[data-signup-form]");
    if (signup) wireSignup(signup);
    if (signup && window.MastheadHostedCheck) window.MastheadHostedCheck.initWhenUsed(signup);
    const subscribe = slot.querySelector("form[data-signup-subscribe]");
    if (subscribe) wireSubscribe(box, slot, subscribe);
  };

  const load = async (box) => {
    const slot = box.querySelector("[data-signup-slot]");
    if (!slot) return;
    const url = new URL(box.dataset.src, window.location.href);
    url.searchParams.set("box", box.id);
    url.searchParams.set("next", `${window.location.pathname}#${box.id}`);
    let response;
    try {
      response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        cache: "no-store",
      });
    } catch (error) {
      return; // offline: the link stays
    }
    if (response.status === 204) {
      box.remove(); // no longer open to sign-ups
      return;
    }
    if (!response.ok || response.headers.get(HEADER) !== "1") return;
    show(box, slot, await response.text());
  };

  const observer =
    "IntersectionObserver" in window
      ? new IntersectionObserver(
          (entries) => {
            entries.forEach((entry) => {
              if (!entry.isIntersecting) return;
              observer.unobserve(entry.target);
              load(entry.target);
            });
          },
          { rootMargin: "600px 0px" },
        )
      : null;

  const fill = (root) => {
    root.querySelectorAll("[data-signup-box][data-src]").forEach((box) => {
      if (box.hasAttribute("data-signup-started")) return;
      box.setAttribute("data-signup-started", "");
      if (observer) observer.observe(box);
      else load(box);
    });
  };

  fill(document);
  document.addEventListener("masthead:body-replaced", () => fill(document));
})();
