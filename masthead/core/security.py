"""A Content-Security-Policy on every page, and a resource policy on static files.

Invariants:
- Reader pages run only our own scripts and styles (no inline script, no inline style,
  no third party), except the hosted bot-check provider when one is switched on (what
  its documentation says its widget loads, directive by directive), and embed video
  only from the privacy-friendly player hosts the video block uses.
- The editors' admin gets a policy of its own: Wagtail's editing pages rely on inline
  scripts and styles, so those are allowed there, but nothing loads from or posts to
  another origin, no plugin runs, and only the admin itself may frame its previews.
  The sign-in pages (the ones anybody can reach) have no inline code and get the
  strict policy: no inline script or style, no framing at all.
- Static files say `Cross-Origin-Resource-Policy: same-site`, so another site's page
  cannot pull our scripts and styles into its own process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:  # settings.py imports this module; keep its imports light
    from django.http import HttpRequest, HttpResponse

ADMIN_PREFIXES = ("/admin/", "/django-admin/")
SIGN_IN_PREFIXES = ("/admin/login/", "/admin/password_reset/", "/django-admin/login/")

# What each hosted bot check loads into a reader's page, directive by directive, as its
# provider documents it (and nothing for ALTCHA, which is ours): the script and the
# frame of its widget, and for hCaptcha its stylesheets and requests too.
# - reCAPTCHA: developers.google.com/recaptcha/docs/faq (Content-Security-Policy)
# - hCaptcha: docs.hcaptcha.com ("Content-Security-Policy Settings"; its asset hosts
#   vary, so the wildcard)
# - Turnstile: developers.cloudflare.com/turnstile/reference/content-security-policy
_HCAPTCHA = ("https://hcaptcha.com", "https://*.hcaptcha.com")
BOTCHECK_SOURCES: dict[str, dict[str, tuple[str, ...]]] = {
    "recaptcha": {
        "script-src": ("https://www.google.com/recaptcha/", "https://www.gstatic.com/recaptcha/"),
        "frame-src": (
            "https://www.google.com/recaptcha/",
            "https://recaptcha.google.com/recaptcha/",
        ),
    },
    "hcaptcha": {
        "script-src": _HCAPTCHA,
        "frame-src": _HCAPTCHA,
        "style-src": _HCAPTCHA,
        "connect-src": _HCAPTCHA,
    },
    "turnstile": {
        "script-src": ("https://challenges.cloudflare.com",),
        "frame-src": ("https://challenges.cloudflare.com",),
    },
}
VIDEO_HOSTS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")


def _join(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


@functools.cache
def build_policy(botcheck_provider: str) -> str:
    """The reader pages' policy (Wagtail's editor toolbar, shown on them to editors,
    styles itself through a stylesheet and the CSSOM, which need no 'unsafe-inline')."""
    botcheck = BOTCHECK_SOURCES.get(botcheck_provider, {})

    def sources(directive: str, *own: str) -> str:
        return " ".join((*own, *botcheck.get(directive, ())))

    return _join(
        {
            "default-src": "'self'",
            "script-src": sources("script-src", "'self'"),
            "style-src": sources("style-src", "'self'"),
            "img-src": "'self' data:",
            "font-src": "'self'",
            "connect-src": sources("connect-src", "'self'"),
            "frame-src": sources("frame-src", *VIDEO_HOSTS),
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        }
    )


def build_admin_policy() -> str:
    """The editors' admin: inline scripts and styles (Wagtail needs them), our own
    origin for everything else. Previews render our pages in an iframe of the admin, so
    the admin may frame itself; no other site may frame it."""
    return _join(
        {
            "default-src": "'self'",
            "script-src": "'self' 'unsafe-inline'",
            "style-src": "'self' 'unsafe-inline'",
            # No Gravatar: settings turn Wagtail's avatars from it off.
            "img-src": "'self' data: blob:",
            "font-src": "'self' data:",
            "connect-src": "'self'",
            "frame-src": " ".join(("'self'", *VIDEO_HOSTS)),
            "worker-src": "'self' blob:",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'self'",
        }
    )


def build_sign_in_policy() -> str:
    """The admin's sign-in pages: our own scripts and styles only, never framed."""
    return _join(
        {
            "default-src": "'self'",
            "script-src": "'self'",
            "style-src": "'self'",
            "img-src": "'self' data:",
            "font-src": "'self'",
            "connect-src": "'self'",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        }
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.admin_policy = build_admin_policy()
        self.sign_in_policy = build_sign_in_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(SIGN_IN_PREFIXES):
            policy = self.sign_in_policy
        elif request.path.startswith(ADMIN_PREFIXES):
            policy = self.admin_policy
        else:
            # Read per request (built once per provider), so the policy always follows
            # the bot check the forms draw, a setting changed in tests included.
            policy = build_policy(getattr(settings, "BOTCHECK_PROVIDER", "altcha"))
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


def static_file_headers(headers: MutableMapping[str, str], path: str, url: str) -> None:
    """WhiteNoise's WHITENOISE_ADD_HEADERS_FUNCTION: every static file may be loaded
    by pages of this site (and its sibling hosts, should static live on one) only."""
    headers["Cross-Origin-Resource-Policy"] = "same-site"
