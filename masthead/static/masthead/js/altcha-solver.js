/*
 * Masthead's ALTCHA solver: proof of work in the reader's browser, no third party.
 *
 * Fetches a challenge from our own endpoint, finds the number n (0..maxNumber) for which
 * SHA-256(salt + n) equals the challenge, and puts the signed answer in the form's hidden
 * field. Work starts as soon as the page loads, so it is usually done before the reader
 * reaches the button; pressing Register earlier simply waits for it. Uses the browser's
 * crypto.subtle where available (any HTTPS page, or localhost), else a small built-in
 * SHA-256 so plain-HTTP development still works. The server is the authority: it checks
 * the signature, the expiry, and that an answer is used once.
 *
 * `window.MastheadAltcha.init(root)` starts the check on a form inserted later (the
 * registration form wall.js embeds in an article's wall); each box is started once.
 * Its submit listener runs before any added later and holds the submission back (the
 * default prevented, propagation stopped) until the answer is in, then submits again
 * with requestSubmit(), so a script that submits the form by fetch only ever sees the
 * submission that carries the answer.
 */
(function () {
  "use strict";

  var encoder = new TextEncoder();
  var BATCH = 400;

  function hex(buffer) {
    var bytes = new Uint8Array(buffer);
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    return out;
  }

  // A compact SHA-256 (FIPS 180-4) for pages where crypto.subtle is unavailable.
  var K = [];
  (function () {
    var n = 2, found = 0;
    function frac(x) { return ((x - Math.floor(x)) * 0x100000000) >>> 0; }
    while (found < 64) {
      var prime = true;
      for (var d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
      if (prime) { K[found++] = frac(Math.pow(n, 1 / 3)); }
      n++;
    }
  })();
  function sha256Sync(bytes) {
    var H = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var len = bytes.length, bitLen = len * 8;
    var padded = new Uint8Array(((len + 9 + 63) >> 6) << 6);
    padded.set(bytes);
    padded[len] = 0x80;
    var view = new DataView(padded.buffer);
    view.setUint32(padded.length - 4, bitLen >>> 0);
    view.setUint32(padded.length - 8, Math.floor(bitLen / 0x100000000));
    var W = new Array(64);
    for (var off = 0; off < padded.length; off += 64) {
      for (var t = 0; t < 16; t++) W[t] = view.getUint32(off + t * 4);
      for (t = 16; t < 64; t++) {
        var a0 = W[t - 15], a1 = W[t - 2];
        var s0 = ((a0 >>> 7) | (a0 << 25)) ^ ((a0 >>> 18) | (a0 << 14)) ^ (a0 >>> 3);
        var s1 = ((a1 >>> 17) | (a1 << 15)) ^ ((a1 >>> 19) | (a1 << 13)) ^ (a1 >>> 10);
        W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
      }
      var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
      for (t = 0; t < 64; t++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var ch = (e & f) ^ (~e & g);
        var t1 = (h + S1 + ch + K[t] + W[t]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var maj = (a & b) ^ (a & c) ^ (b & c);
        var t2 = (S0 + maj) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0;
      H[4] = (H[4] + e) | 0; H[5] = (H[5] + f) | 0; H[6] = (H[6] + g) | 0; H[7] = (H[7] + h) | 0;
    }
    var out = new Uint8Array(32), outView = new DataView(out.buffer);
    for (var i = 0; i < 8; i++) outView.setUint32(i * 4, H[i]);
    return out.buffer;
  }

  var subtle = window.crypto && window.crypto.subtle;
  function digest(text) {
    var bytes = encoder.encode(text);
    if (subtle) return subtle.digest("SHA-256", bytes).then(hex);
    return Promise.resolve(hex(sha256Sync(bytes)));
  }

  function solve(challenge) {
    var target = challenge.challenge;
    var max = challenge.maxNumber;
    var salt = challenge.salt;
    function batch(start) {
      if (start > max) return Promise.reject(new Error("no solution"));
      var jobs = [];
      for (var n = start; n < Math.min(start + BATCH, max + 1); n++) {
        jobs.push(digest(salt + n));
      }
      return Promise.all(jobs).then(function (hashes) {
        for (var i = 0; i < hashes.length; i++) {
          if (hashes[i] === target) return start + i;
        }
        return batch(start + BATCH);
      });
    }
    return batch(0);
  }

  function start(box) {
    if (box.hasAttribute("data-altcha-started")) return;
    box.setAttribute("data-altcha-started", "");
    var form = box.closest("form");
    var answer = box.querySelector("[data-altcha-answer]");
    var status = box.querySelector("[data-altcha-status]");

    function say(text) { if (status) status.textContent = text; }

    var solved = null;
    var working = fetch(box.getAttribute("data-challenge-url"), {
      credentials: "omit",
      cache: "no-store",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("challenge " + response.status);
        return response.json();
      })
      .then(function (challenge) {
        return solve(challenge).then(function (number) {
          var payload = {
            algorithm: challenge.algorithm,
            challenge: challenge.challenge,
            number: number,
            salt: challenge.salt,
            signature: challenge.signature,
          };
          answer.value = btoa(JSON.stringify(payload));
          solved = true;
          box.setAttribute("data-altcha-state", "verified");
          say(box.getAttribute("data-verified-text") || "\u2713");
        });
      })
      .catch(function () {
        solved = false;
        box.setAttribute("data-altcha-state", "failed");
      });

    if (form) {
      form.addEventListener("submit", function (event) {
        if (solved !== null) return;
        event.preventDefault();
        var button = form.querySelector("[type=submit]");
        if (button) button.setAttribute("aria-disabled", "true");
        event.stopImmediatePropagation();
        working.then(function () {
          if (button) button.removeAttribute("aria-disabled");
          if (form.requestSubmit) form.requestSubmit();
          else form.submit();
        });
      });
    }
  }

  function init(root) {
    (root || document).querySelectorAll("[data-altcha]").forEach(start);
  }

  window.MastheadAltcha = { init: init };
  init(document);
})();
