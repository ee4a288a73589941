"""Thin views for the wall: the wall's event beacon and the article body fragment.

Invariants:
- The beacon only raises daily counters; it takes no personal data and sets nothing.
- The body fragment (used to continue in place after signing in from the wall) goes
  through the same decision (and the same single meter record) as the page, so it gives
  a reader exactly what the page would, and is never cached by anyone. It finds the
  article through `access.articles`, never through the content app.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from masthead.core.numbers import parse_id

from .articles import find_live_article, is_live_gated
from .models import WallEvent
from .selectors import article_access
from .services import article_view_record, wall_event_record

# Events a reader's browser may report; completions are counted by the server only.
BEACON_EVENTS = {WallEvent.IMPRESSION.value, WallEvent.STARTED.value}


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
    if not is_live_gated(article_id):
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
    if request.method not in ("GET", "HEAD"):
        raise Http404
    article = find_live_article(pk=article_id, public=True)
    if article is None:
        raise Http404
    access = article_access(request=request, article=article)
    article_view_record(access=access)
    response = render(
        request,
        "access/body.html",
        {"access": access, "page": article},
        status=200 if access.decision.full else 403,
    )
    response.holds_gated_text = True  # type: ignore[attr-defined]
    patch_cache_control(response, private=True, no_store=True)
    return response
