// The wall, progressively enhanced.
// 1. Counters: one beacon when the wall is shown, one when the reader starts
//    registering. Pages with the wall are cached by CDNs, so the server cannot count
//    impressions itself. The beacon carries the article id only, nothing about the reader.
// 2. Continue in place: when the reader signs up or signs in from the wall without
//    leaving the page, the form's script (or an htmx response header
//    `HX-Trigger: masthead:signed-in`) fires `masthead:signed-in`. The article body this
//    reader may now read is fetched (private, never cached) and swapped in for the
//    lead-in and the wall (then `masthead:body-replaced` is fired, for scripts that
//    fill parts of the body), and focus moves to where the lead-in stopped (#continue).
//    Without JavaScript the sign-up and sign-in pages redirect back to #continue.
// 3. The registration form in place: see below.
(() => {
  const wall = document.querySelector("[data-wall]");
  if (!wall) return;

  const articleId = wall.dataset.wallArticle;
  const beacon = wall.dataset.beacon;
  const send = (event) => {
    if (!beacon || !articleId || !navigator.sendBeacon) return;
    const data = new FormData();
    data.append("event", event);
    data.append("article", articleId);
    navigator.sendBeacon(beacon, data);
  };
  send("impression");
  wall.addEventListener("click", (event) => {
    if (event.target.closest("[data-wall-event='started']")) send("started");
  });

  const body = document.querySelector("[data-article-body][data-body-url]");
  let continuing = false;
  const continueInPlace = async () => {
    if (!body || continuing) return;
    continuing = true;
    try {
      const response = await fetch(body.dataset.bodyUrl, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        cache: "no-store",
      });
      if (!response.ok) {
        // Still no access (a premium allowance used up): show the page as it now is.
        window.location.assign(window.location.pathname + "#continue");
        window.location.reload();
        return;
      }
      const html = await response.text();
      const holder = document.createElement("div");
      holder.innerHTML = html;
      const fresh = holder.querySelector("[data-article-body]");
      if (!fresh) return;
      body.replaceWith(fresh);
      document.querySelectorAll("[data-wall]").forEach((node) => node.remove());
      // Scripts that fill parts of the body (signup-box.js) fill the new one.
      document.dispatchEvent(new Event("masthead:body-replaced"));
      const mark = document.getElementById("continue");
      if (mark) {
        history.replaceState(null, "", "#continue");
        mark.focus({ preventScroll: true });
        mark.scrollIntoView({ block: "start" });
      }
    } finally {
      continuing = false;
    }
  };
  document.addEventListener("masthead:signed-in", continueInPlace);

  // 3. The registration form in place: fetch the reader-accounts fragment into the
  //    slot (private, with its own CSRF token: this page stays the same for everyone),
  //    start the bot check and the form's helps on it (altcha-solver.js or, for a
  //    hosted provider, hosted-check.js, which loads the provider's script when the
  //    reader turns to the form; and registration.js, all loaded with this page),
  //    submit it with fetch, show what comes back (errors keep what was typed), and
  //    continue in place once the server says the reader is signed in. The bot check's
  //    own submit listener runs first: it holds the submission back until its answer
  //    is in (then submits again).
  const slot = wall.querySelector("[data-form-slot][data-form-url]");
  if (!slot) return;
  const signedIn = (response) =>
    response.headers.get("X-Masthead-Signed-In") === "1" ||
    (response.headers.get("HX-Trigger") || "").includes("masthead:signed-in");
  const answer = (response) => {
    if (signedIn(response)) {
      document.dispatchEvent(new Event("masthead:signed-in"));
      return null;
    }
    const elsewhere = response.headers.get("HX-Redirect");
    if (elsewhere) {
      window.location.assign(elsewhere);
      return null;
    }
    return response.text();
  };
  const show = (html) => {
    slot.innerHTML = html;
    if (window.MastheadAltcha) window.MastheadAltcha.init(slot);
    if (window.MastheadHostedCheck) window.MastheadHostedCheck.initWhenUsed(slot);
    if (window.MastheadRegistration) window.MastheadRegistration.init(slot);
    slot.querySelectorAll("form").forEach((form) => {
      form.addEventListener("submit", async (event) => {
        if (event.defaultPrevented) return; // the bot check is still working
        event.preventDefault();
        send("started");
        const button = form.querySelector("[type=submit]");
        if (button) button.setAttribute("aria-disabled", "true");
        let html = null;
        try {
          const response = await fetch(form.getAttribute("action") || slot.dataset.formUrl, {
            method: "POST",
            body: new FormData(form),
            credentials: "same-origin",
            headers: { "HX-Request": "true", Accept: "text/html" },
          });
          html = await answer(response);
        } catch (error) {
          return; // the network failed: the form stays as typed, to send again
        } finally {
          if (button) button.removeAttribute("aria-disabled");
        }
        if (html === null) return;
        show(html);
        const summary = slot.querySelector("[role=alert], .error-summary");
        if (summary) summary.focus();
      });
    });
  };
  fetch(slot.dataset.formUrl, {
    credentials: "same-origin",
    headers: { "HX-Request": "true", Accept: "text/html" },
    cache: "no-store",
  })
    .then((response) => (response.ok ? answer(response) : null))
    .then((html) => {
      if (html) show(html);
    })
    .catch(() => {});
})();
