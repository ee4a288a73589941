// The header's account links after signing in without leaving the page.
// Anonymous pages are cached for everyone, so their header always offers "Sign in" and
// "Register". When the reader registers or signs in within the page (the wall fires
// `masthead:signed-in`), the header is fetched again from /accounts/header/ (private,
// never cached) and swapped in, so the page shows who is signed in with no reload.
(() => {
  const url = "/accounts/header/";
  document.addEventListener("masthead:signed-in", async () => {
    const current = document.querySelector("[data-account-nav]");
    if (!current) return;
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        cache: "no-store",
      });
      if (!response.ok) return;
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      const fresh = holder.querySelector("[data-account-nav]");
      if (fresh) current.replaceWith(fresh);
    } catch (error) {
      // The network failed: the old links still work (the account page asks to sign in).
    }
  });
})();
