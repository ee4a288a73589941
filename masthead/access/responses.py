"""Finishing an article response for the access decision behind it (headers, cookie).

Invariant: any response that carries text an article withholds from someone, or that
belongs to one reader (signed in, or given a free-reads cookie), goes out
`Cache-Control: private, no-store`, so no shared cache (CDN, Varnish, nginx) can ever
hold it. Anonymous pages with only the lead-in are left to `PublicCacheMiddleware`,
which makes them public.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control

from .selectors import FREE_READS_MAX_AGE, ArticleAccess


def finish_article_response(response: HttpResponse, access: ArticleAccess) -> HttpResponse:
    if access.holds_gated_text or access.registered or access.set_cookie:
        # Marked for the cache middleware too, in case anything clears the header.
        response.holds_gated_text = True  # type: ignore[attr-defined]
        patch_cache_control(response, private=True, no_store=True)
    if access.set_cookie:
        name, value = access.set_cookie
        response.set_cookie(
            name,
            value,
            max_age=FREE_READS_MAX_AGE,
            httponly=True,
            samesite="Lax",
            # Secure wherever the session cookie is (production): sent over plain HTTP,
            # it could be read or replaced on the way.
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response
