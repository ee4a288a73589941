"""Routing a request to its page without a query: the route, cached on the pages
generation.

Invariants:
- A cached route holds the site and the page as routing found it (the specific page,
  with what serving it reads preloaded: bylines, tags, the site's access settings row,
  the page's view restrictions) and the route's arguments. Its key names the pages
  generation (`core.render_cache`), the host, the language and the path. The generation
  changes whenever a page is saved, published, unpublished, moved or deleted, a site
  changes, a view restriction changes or the access settings change (content/apps.py,
  access/signals.py), so a cached route never serves a page at an address it left, a
  page taken offline, or an old level or restriction.
- Only what Wagtail's routing found is cached (it finds live pages only); a miss, a
  404 and a route that cannot be stored go through Wagtail's routing as before.
- Everything after routing runs per request exactly as before: Wagtail's serving hooks
  (view restrictions, checked against this request), then the page's own serve (the
  access decision and the meter, once per request).
"""

from __future__ import annotations

import logging
import pickle
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from wagtail.models import Page
from wagtail.views import serve as wagtail_serve

from masthead.core.render_cache import FRAGMENT_SECONDS, pages_generation

logger = logging.getLogger(__name__)

ROUTE_PREFIX = "route:v1:"
# The attribute a routed page keeps its view restrictions in (NewsroomPageMixin).
RESTRICTIONS_ATTR = "_routed_view_restrictions"


def route_key(request: HttpRequest, path: str) -> str:
    return f"{ROUTE_PREFIX}{pages_generation(request)}:{get_language()}:{request.get_host()}:{path}"


def _store(key: str, request: HttpRequest) -> None:
    route = getattr(request, "_wagtail_route_for_request", None)
    site = getattr(request, "_wagtail_site", None)
    if route is None or site is None:
        return
    page, args, kwargs = route
    if not hasattr(page, "get_view_restrictions"):  # pragma: no cover - not a page
        return
    try:
        # Loaded once, so the serving hook reads them from the page (the list changes
        # only with the generation: see the module docstring).
        setattr(page, RESTRICTIONS_ATTR, list(page.get_view_restrictions()))
        cache.set(key, pickle.dumps((site, page, args, kwargs)), FRAGMENT_SECONDS)
    except (pickle.PicklingError, TypeError, AttributeError):
        logger.debug("route for %s not cached", key, exc_info=True)


def serve(request: HttpRequest, path: str) -> HttpResponse:
    """Wagtail's page view (`wagtail.views.serve`), with the route from the cache."""
    key = route_key(request, path)
    found: Any = cache.get(key)
    if found is not None:
        site, page, args, kwargs = pickle.loads(found)  # noqa: S301 (our own cache)
        request._wagtail_site = site  # type: ignore[attr-defined]
        request._wagtail_route_for_request = (page, args, kwargs)  # type: ignore[attr-defined]
    else:
        Page.route_for_request(request, path)
        _store(key, request)
    return wagtail_serve(request, path)
