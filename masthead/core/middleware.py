"""Cache headers that let a CDN keep anonymous pages and never keep personal ones.

Invariant: a response is marked public only when the request carried no session
cookie, the view did not touch the session or set a cookie, and the view did not set
its own Cache-Control. Anything else from a signed-in reader is private. A response
that holds text an article withholds from others (`response.holds_gated_text`, set by
masthead.access) always leaves `private, no-store`, whatever else was set on it.
Public pages never vary on the raw Cookie header. Cache tags (`core.cache_tags`) are
written only on a response that leaves public, and stripped from every other one.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from .cache_tags import remove_cache_tags, write_cache_tags


def has_session_cookie(request: HttpRequest) -> bool:
    """True when the request may belong to a signed-in reader (checked without loading
    the session, so asking does not add `Vary: Cookie`)."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES


class PublicCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._cache_control(request, self.get_response(request))
        control = response.get("Cache-Control", "").lower()
        shared = (
            ("public" in control or "s-maxage" in control)
            and "private" not in control
            and "no-store" not in control
            and not getattr(response, "holds_gated_text", False)
        )
        if shared:
            write_cache_tags(response)
        else:
            remove_cache_tags(response)
        return response

    def _cache_control(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if getattr(response, "holds_gated_text", False):
            # Belt and braces: nothing a view or decorator did can make it shareable.
            if "public" in response.get("Cache-Control", "") or "no-store" not in response.get(
                "Cache-Control", ""
            ):
                del response["Cache-Control"]
                patch_cache_control(response, private=True, no_store=True)
            return response
        if response.has_header("Cache-Control"):
            return response
        if request.method not in ("GET", "HEAD"):
            return response
        personal = (
            has_session_cookie(request)
            or "Cookie" in response.get("Vary", "")
            or bool(response.cookies)
        )
        if personal:
            patch_cache_control(response, private=True, no_cache=True)
        elif response.status_code == 200:
            seconds = settings.PUBLIC_CACHE_SECONDS
            patch_cache_control(
                response,
                public=True,
                max_age=min(seconds, 60),
                s_maxage=seconds,
                stale_while_revalidate=seconds,
                stale_if_error=86400,
            )
        return response
