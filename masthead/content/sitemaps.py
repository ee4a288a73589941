"""XML sitemaps: every public page, and a Google News sitemap of the last two days.

Invariant: sitemaps list addresses, titles and dates only; no article text.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET
from wagtail.contrib.sitemaps.views import sitemap as wagtail_sitemap
from wagtail.models import Site

from masthead.core.newsroom import newsroom_name

from .selectors import live_articles

NEWS_WINDOW = timedelta(days=2)
NEWS_LIMIT = 1000  # Google News reads at most 1,000 URLs per news sitemap.


@require_GET
def sitemap_view(request: HttpRequest) -> HttpResponse:
    response = wagtail_sitemap(request)
    response["Cache-Control"] = "public, max-age=600, s-maxage=600"
    return response


@require_GET
def news_sitemap_view(request: HttpRequest) -> HttpResponse:
    site = Site.find_for_request(request)
    since = timezone.now() - NEWS_WINDOW
    articles = []
    if site is not None:
        qs = live_articles().descendant_of(site.root_page).filter(first_published_at__gte=since)
        articles = [
            {"loc": a.get_full_url(request), "title": a.title, "date": a.first_published_at}
            for a in qs[:NEWS_LIMIT]
        ]
    body = render_to_string(
        "content/news_sitemap.xml",
        {"articles": articles, "publication": newsroom_name(site)},
    )
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300, s-maxage=300"
    return response
