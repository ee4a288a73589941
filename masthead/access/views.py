"""Thin views for the wall: response headers for articles, and the wall's event beacon.

Invariants:
- Any response that carries text an article withholds from someone goes out
  `Cache-Control: private, no-store`, whoever asked for it, so no shared cache (CDN,
  Varnish, nginx) can ever hold it. Anonymous pages with only the lead-in are left to
  `PublicCacheMiddleware`, which makes them public.
- The beacon only raises daily counters; it takes no personal data and sets nothing.
- The body fragment (used to continue in place after signing in from the wall) goes
  through the same decision as the page, so it gives a reader exactly what the page
  would, and is never cached by anyone.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from masthead.core.numbers import parse_id

from .models import WallEvent
from .selectors import FREE_READS_MAX_AGE, ArticleAccess
from .services import wall_event_record

# Events a reader's browser may report; completions are counted by the server only.
BEACON_EVENTS = {WallEvent.IMPRESSION.value, WallEvent.STARTED.value}


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


@csrf_exempt  # sendBeacon cannot send a CSRF token; it only raises a counter.
@require_POST
@never_cache
def wall_beacon(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("event", "")
    article_id = parse_id(request.POST.get("article", ""))
    if article_id is None:  # not a number, or out of any id's range
        return HttpResponseBadRequest("article")
    if kind not in BEACON_EVENTS:
        return HttpResponseBadRequest("event")
    from masthead.content.models import ArticlePage

    if (
        not ArticlePage.objects.filter(pk=article_id, live=True)
        .exclude(effective_access="free")
        .exists()
    ):
        return HttpResponseBadRequest("article")
    wall_event_record(article_id=article_id, kind=kind)
    return HttpResponse(status=204)


@never_cache
def article_body_fragment(request: HttpRequest, article_id: int) -> HttpResponse:
    """The article body this reader may read, as an HTML fragment.

    After registering or signing in from the wall, the page's script swaps this in
    place of the lead-in and the wall, so the reader goes on at #continue without a
    reload. A reader still without access gets 403 and the wall's own words.
    """
    from masthead.content.models import ArticlePage
    from masthead.content.selectors import preloaded_images

    from .selectors import article_access

    article = (
        ArticlePage.objects.live().public().select_related("section").filter(pk=article_id).first()
    )
    if article is None or request.method not in ("GET", "HEAD"):
        raise Http404
    access = article_access(request=request, article=article)
    with preloaded_images({}):
        response = render(
            request,
            "access/body.html",
            {"access": access, "page": article},
            status=200 if access.decision.full else 403,
        )
    response.holds_gated_text = True  # type: ignore[attr-defined]
    patch_cache_control(response, private=True, no_store=True)
    return response
