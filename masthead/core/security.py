"""A Content-Security-Policy on every page readers see.

Invariant: reader pages run only our own scripts (no inline script, no third party),
except the hosted bot-check provider when one is switched on, and embed video only
from the privacy-friendly player hosts the video block uses. The editors' admin is left
to Wagtail, whose pages rely on inline scripts.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

ADMIN_PREFIXES = ("/admin/", "/django-admin/")

# Hosts each hosted bot check loads its widget from (script) and frames (challenge).
BOTCHECK_HOSTS: dict[str, tuple[str, ...]] = {
    "recaptcha": ("https://www.google.com", "https://www.gstatic.com"),
    "hcaptcha": ("https://hcaptcha.com", "https://*.hcaptcha.com"),
    "turnstile": ("https://challenges.cloudflare.com",),
}
VIDEO_HOSTS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")


def build_policy(botcheck_provider: str) -> str:
    extra = " ".join(BOTCHECK_HOSTS.get(botcheck_provider, ()))
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' {extra}".strip(),
        # Wagtail's editor toolbar (shown only to signed-in editors) styles itself inline.
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": f"'self' {extra}".strip(),
        "frame-src": " ".join((*VIDEO_HOSTS, *BOTCHECK_HOSTS.get(botcheck_provider, ()))),
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = build_policy(getattr(settings, "BOTCHECK_PROVIDER", "altcha"))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(ADMIN_PREFIXES):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
