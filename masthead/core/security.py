"""A Content-Security-Policy on every page, and a resource policy on static files.

Invariants:
- Reader pages run only our own scripts and styles (no inline script, no inline style,
  no third party), except the hosted bot-check provider when one is switched on, and
  embed video only from the privacy-friendly player hosts the video block uses.
- The editors' admin gets a policy of its own: Wagtail's editing pages rely on inline
  scripts and styles, so those are allowed there, but nothing loads from or posts to
  another origin, no plugin runs, and only the admin itself may frame its previews.
  The sign-in pages (the ones anybody can reach) have no inline code and get the
  strict policy: no inline script or style, no framing at all.
- Static files say `Cross-Origin-Resource-Policy: same-site`, so another site's page
  cannot pull our scripts and styles into its own process.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:  # settings.py imports this module; keep its imports light
    from django.http import HttpRequest, HttpResponse

ADMIN_PREFIXES = ("/admin/", "/django-admin/")
SIGN_IN_PREFIXES = ("/admin/login/", "/admin/password_reset/", "/django-admin/login/")

# Hosts each hosted bot check loads its widget from (script) and frames (challenge).
BOTCHECK_HOSTS: dict[str, tuple[str, ...]] = {
    "recaptcha": ("https://www.google.com", "https://www.gstatic.com"),
    "hcaptcha": ("https://hcaptcha.com", "https://*.hcaptcha.com"),
    "turnstile": ("https://challenges.cloudflare.com",),
}
VIDEO_HOSTS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")


def _join(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def build_policy(botcheck_provider: str) -> str:
    """The reader pages' policy (Wagtail's editor toolbar, shown on them to editors,
    styles itself through a stylesheet and the CSSOM, which need no 'unsafe-inline')."""
    extra = " ".join(BOTCHECK_HOSTS.get(botcheck_provider, ()))
    return _join(
        {
            "default-src": "'self'",
            "script-src": f"'self' {extra}".strip(),
            "style-src": "'self'",
            "img-src": "'self' data:",
            "font-src": "'self'",
            "connect-src": f"'self' {extra}".strip(),
            "frame-src": " ".join((*VIDEO_HOSTS, *BOTCHECK_HOSTS.get(botcheck_provider, ()))),
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
        self.policy = build_policy(getattr(settings, "BOTCHECK_PROVIDER", "altcha"))
        self.admin_policy = build_admin_policy()
        self.sign_in_policy = build_sign_in_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(SIGN_IN_PREFIXES):
            policy = self.sign_in_policy
        elif request.path.startswith(ADMIN_PREFIXES):
            policy = self.admin_policy
        else:
            policy = self.policy
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


def static_file_headers(headers: MutableMapping[str, str], path: str, url: str) -> None:
    """WhiteNoise's WHITENOISE_ADD_HEADERS_FUNCTION: every static file may be loaded
    by pages of this site (and its sibling hosts, should static live on one) only."""
    headers["Cross-Origin-Resource-Policy"] = "same-site"
