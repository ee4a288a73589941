"""Site-wide views: health check, robots.txt, icon, manifest and the designed error pages.

Invariant: /healthz answers 200 whenever this process can serve readers (the database
answers), even with the cache down, and 503 only when it cannot; its first line is
`ok`, `degraded` or `down`, then one line per dependency.
"""

from __future__ import annotations

import functools
import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Case, Count, F, Min, When
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_tasks_db.models import DBTaskResult, get_date_max
from wagtail.models import Site

from .newsroom import newsroom_name

logger = logging.getLogger("masthead.core")


# A task waiting longer than this means no worker is taking them: "degraded".
TASK_QUEUE_STALE_SECONDS = 600


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("health check: the database does not answer")
        return False
    return True


def _cache_ok() -> bool:
    ping = getattr(cache, "ping", None)
    if ping is not None:  # masthead.core.cache.DegradingRedisCache: asks Redis now
        return bool(ping())
    # Any other backend: a write read back (a degrading backend would read a miss).
    token = secrets.token_hex(8)
    try:
        cache.set("masthead:healthz", token, 10)
        return cache.get("masthead:healthz") == token
    except Exception:
        logger.exception("health check: the cache does not answer")
        return False


def _task_queue() -> tuple[int, float]:
    """How many tasks are ready to run, and how long the oldest has waited (seconds)."""
    never = get_date_max()
    # A task waits from its run_after when it has one, else from when it was enqueued.
    waiting_since = Case(When(run_after=never, then=F("enqueued_at")), default=F("run_after"))
    summary = DBTaskResult.objects.ready().aggregate(oldest=Min(waiting_since), count=Count("pk"))
    oldest = summary["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return summary["count"], max(age, 0.0)


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitoring: 200 while readers can be served, 503 when not.

    Body, plain text: the overall state, then `database: ok|fail`, `cache: ok|fail`
    (readers are still served from the database while it fails), and `tasks:` with the
    ready count and the oldest ready task's wait in seconds (`stale` past
    TASK_QUEUE_STALE_SECONDS: no worker is taking them).
    """
    database = _database_ok()
    cache_ok = _cache_ok()
    lines = [f"database: {'ok' if database else 'fail'}", f"cache: {'ok' if cache_ok else 'fail'}"]
    tasks_stale = False
    if database:
        try:
            count, age = _task_queue()
        except DatabaseError:
            logger.exception("health check: the task queue cannot be read")
            lines.append("tasks: unknown")
        else:
            tasks_stale = age > TASK_QUEUE_STALE_SECONDS
            state = "stale" if tasks_stale else "ok"
            lines.append(f"tasks: {state}, {count} ready, oldest waiting {age:.0f} s")
    else:
        lines.append("tasks: unknown")
    if not database:
        overall, status = "down", 503
    elif not cache_ok or tasks_stale:
        overall, status = "degraded", 200
    else:
        overall, status = "ok", 200
    return HttpResponse(
        "\n".join([overall, *lines]) + "\n", content_type="text/plain", status=status
    )


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
    # The newsroom's name, never the software's (masthead.core.newsroom).
    name = newsroom_name(Site.find_for_request(request))
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
