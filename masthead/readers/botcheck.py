"""Telling people from scripts at registration: ALTCHA proof-of-work by default.

Invariants:
- The default provider, ALTCHA, is self-hosted: challenges are made and checked here
  (the `altcha` package), signed with a key derived from SECRET_KEY, and solved in the
  browser by our own script. No request ever goes to a third party.
- A solved challenge is accepted once: its signature is remembered in the shared cache
  until the challenge expires, so a solution cannot be replayed by a script.
- The challenge comes from its own small, uncached endpoint, so the pages that carry
  the form stay cacheable.
- reCAPTCHA, hCaptcha and Turnstile are the same interface (`BotCheck`), chosen by
  the MASTHEAD_BOTCHECK setting with their keys; their tokens are checked server-side
  with the provider's siteverify request. "off" exists for development only.
- A hosted provider's widget is drawn by our own script (hosted-check.js), never by a
  <script> tag of the provider's in our markup: it loads the provider's script once,
  with the provider's explicit-render API, when a form carrying the check is shown (a
  fetched fragment, such as the wall's registration form, cannot run a script tag it
  holds). So no page contacts the provider before it shows such a form, and with
  ALTCHA nothing names a provider at all.
"""

from __future__ import annotations

import datetime
import json
import logging
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import altcha
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

logger = logging.getLogger("masthead.readers.botcheck")

HttpPost = Callable[[str, dict[str, str]], dict[str, Any]]


@dataclass(frozen=True)
class Widget:
    """What a template needs to draw the check: a partial, its context, and our own
    script that drives it (a static path; "" for none), for a page to load."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    script: str = ""


class BotCheck(Protocol):
    name: str
    # The POST field that carries the browser's answer (a payload or token).
    field_name: str

    def widget(self) -> Widget: ...

    def verify(self, answer: str, *, remote_ip: str | None = None) -> bool: ...

    def failure_message(self) -> str: ...


# --------------------------------------------------------------------------------------
# ALTCHA (default)
# --------------------------------------------------------------------------------------
def altcha_key() -> str:
    """The HMAC key that signs challenges, derived from SECRET_KEY (never stored)."""
    return salted_hmac("masthead.readers.botcheck.altcha", "challenge-signing").hexdigest()


class AltchaCheck:
    name = "altcha"
    field_name = "altcha"

    def __init__(
        self,
        *,
        max_number: int | None = None,
        expires_seconds: int | None = None,
    ) -> None:
        if max_number is None:
            from .signup_limits import altcha_max_number

            # More work per challenge while registrations come in a burst.
            max_number = altcha_max_number()
        self.max_number = max_number
        self.expires_seconds = expires_seconds or settings.ALTCHA_EXPIRES_SECONDS

    def challenge(self) -> dict[str, Any]:
        """A fresh signed challenge as the browser solver expects it (JSON-ready)."""
        made = altcha.create_challenge_v1(
            algorithm="SHA-256",
            max_number=self.max_number,
            hmac_key=altcha_key(),
            expires=timezone.now() + datetime.timedelta(seconds=self.expires_seconds),
        )
        return made.to_dict()

    def widget(self) -> Widget:
        from django.urls import reverse

        return Widget(
            "account/includes/botcheck_altcha.html",
            {"challenge_url": reverse("readers:altcha-challenge"), "field_name": self.field_name},
            script="masthead/js/altcha-solver.js",
        )

    def verify(self, answer: str, *, remote_ip: str | None = None) -> bool:
        if not answer or len(answer) > 2000:
            return False
        try:
            ok, _error = altcha.verify_solution_v1(answer, altcha_key(), check_expires=True)
        except Exception:  # malformed input must never become a server error
            logger.info("unreadable altcha payload")
            return False
        if not ok:
            return False
        signature = altcha.PayloadV1.from_base64(answer).signature
        # Accept each solved challenge once. cache.add is atomic in Redis and locmem.
        return cache.add(
            f"masthead:altcha:used:{signature}", True, timeout=self.expires_seconds + 60
        )

    def failure_message(self) -> str:
        return _(
            "We couldn't confirm you're a person. Make sure JavaScript is on, wait for the "
            "check under the form to finish, then press Register again."
        )


# --------------------------------------------------------------------------------------
# Third-party checks: reCAPTCHA, hCaptcha, Turnstile
# --------------------------------------------------------------------------------------
def http_post_form(url: str, data: dict[str, str]) -> dict[str, Any]:
    """POST a form to a verification endpoint and return its JSON (5 s timeout)."""
    body = urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(  # noqa: S310 (https URLs from our own table)
        url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read().decode("utf-8"))


@dataclass
class SiteverifyCheck:
    """A provider that hands the browser a token we check with a siteverify POST.

    `script_url` is the provider's script, loaded by hosted-check.js with
    `?render=explicit&onload=...`; `js_api` the global it defines (`render(element,
    {sitekey, callback})`); the widget puts its token in `field_name`. `http_post`
    defaults to `http_post_form`, looked up when a token is checked.
    """

    name: str
    field_name: str
    verify_url: str
    script_url: str
    js_api: str
    site_key: str
    secret_key: str
    http_post: HttpPost | None = None

    def widget(self) -> Widget:
        return Widget(
            "account/includes/botcheck_hosted.html",
            {
                "script_url": self.script_url,
                "js_api": self.js_api,
                "site_key": self.site_key,
                "field_name": self.field_name,
                "provider": self.name,
            },
            script="masthead/js/hosted-check.js",
        )

    def verify(self, answer: str, *, remote_ip: str | None = None) -> bool:
        if not answer or len(answer) > 4000:
            return False
        data = {"secret": self.secret_key, "response": answer}
        if remote_ip:
            data["remoteip"] = remote_ip
        try:
            result = (self.http_post or http_post_form)(self.verify_url, data)
        except Exception:
            # The provider being down must not let bots through; the reader can retry.
            logger.warning("%s siteverify request failed", self.name, exc_info=True)
            return False
        return result.get("success") is True

    def failure_message(self) -> str:
        return _("We couldn't confirm you're a person. Complete the check and try again.")


PROVIDERS: dict[str, dict[str, str]] = {
    "recaptcha": {
        "field_name": "g-recaptcha-response",
        "verify_url": "https://www.google.com/recaptcha/api/siteverify",
        "script_url": "https://www.google.com/recaptcha/api.js",
        "js_api": "grecaptcha",
    },
    "hcaptcha": {
        "field_name": "h-captcha-response",
        "verify_url": "https://api.hcaptcha.com/siteverify",
        "script_url": "https://js.hcaptcha.com/1/api.js",
        "js_api": "hcaptcha",
    },
    "turnstile": {
        "field_name": "cf-turnstile-response",
        "verify_url": "https://challenges.cloudflare.com/turnstile/v0/siteverify",
        "script_url": "https://challenges.cloudflare.com/turnstile/v0/api.js",
        "js_api": "turnstile",
    },
}


class NoCheck:
    """Development only (MASTHEAD_BOTCHECK=off): everything passes."""

    name = "off"
    field_name = "botcheck"

    def widget(self) -> Widget:
        return Widget("account/includes/botcheck_off.html")

    def verify(self, answer: str, *, remote_ip: str | None = None) -> bool:
        return True

    def failure_message(self) -> str:
        return ""


def bot_check(name: str | None = None) -> BotCheck:
    """The configured provider (settings.BOTCHECK_PROVIDER unless `name` is given)."""
    name = (name or settings.BOTCHECK_PROVIDER or "altcha").lower()
    if name == "altcha":
        return AltchaCheck()
    if name == "off":
        return NoCheck()
    if name in PROVIDERS:
        return SiteverifyCheck(
            name=name,
            site_key=settings.BOTCHECK_SITE_KEY,
            secret_key=settings.BOTCHECK_SECRET_KEY,
            **PROVIDERS[name],
        )
    raise ValueError(f"Unknown bot check provider {name!r}")
