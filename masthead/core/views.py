"""Site-wide views: health check, robots.txt and the designed error pages."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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
