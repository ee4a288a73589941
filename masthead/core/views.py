"""Site-wide views: health check, robots.txt, icon, manifest and the designed error pages."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from wagtail.models import Site

logger = logging.getLogger("masthead.core")


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """A cheap view for load balancers, and the baseline in bench/."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /django-admin/",
        "Disallow: /search/",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
        f"Sitemap: {request.build_absolute_uri('/news-sitemap.xml')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Render without a RequestContext: the thing that failed may be what it needs.
    try:
        return HttpResponseServerError(loader.get_template("500.html").render())
    except Exception:
        logger.exception("the 500 page itself failed to render")
        return HttpResponseServerError("<h1>Something went wrong on our side.</h1>")


# --------------------------------------------------------------------------------------
# The site's icon and web app manifest: browsers ask for them on their own, so a plain
# page view must find both (no 404 in the log). Both are the same for everyone, so they
# are shared-cacheable (PublicCacheMiddleware marks them public).
# --------------------------------------------------------------------------------------
ICONS_DIR = Path(settings.BASE_DIR) / "masthead" / "static" / "masthead" / "icons"


@functools.cache
def _favicon_bytes() -> bytes:
    return (ICONS_DIR / "favicon.ico").read_bytes()


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico at the root, where browsers and feed readers look without a link."""
    response = HttpResponse(_favicon_bytes(), content_type="image/x-icon")
    patch_cache_control(response, public=True, max_age=86400)
    return response


@require_GET
def web_manifest(request: HttpRequest) -> JsonResponse:
    site = Site.find_for_request(request)
    name = (site.site_name if site else "") or "Masthead"
    manifest = {
        "name": name,
        "short_name": name[:12],
        "description": gettext("Independent journalism, funded by readers."),
        "lang": settings.LANGUAGE_CODE,
        "start_url": "/",
        "scope": "/",
        "display": "minimal-ui",
        "background_color": "#fdfcf9",
        "theme_color": "#9b1c1c",
        "icons": [
            {"src": static("masthead/icons/favicon.svg"), "type": "image/svg+xml", "sizes": "any"},
            {"src": static("masthead/icons/icon-192.png"), "type": "image/png", "sizes": "192x192"},
            {"src": static("masthead/icons/icon-512.png"), "type": "image/png", "sizes": "512x512"},
        ],
    }
    response = JsonResponse(manifest, content_type="application/manifest+json")
    patch_cache_control(response, public=True, max_age=3600)
    return response
