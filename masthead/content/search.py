"""Site search over published articles, through Wagtail's search backend.

Invariant: any string a reader types is safe: the query is cut to a sane length and
handed to the backend as plain text (no query syntax), and the results carry only the
headline and standfirst, never the body.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import EmptyPage, Page, Paginator
from wagtail.search.query import PlainText

from . import selectors

MAX_QUERY_LENGTH = 200


@dataclass
class SearchResults:
    page: Page
    total: int


def search_articles(*, query: str, page: int, per_page: int) -> SearchResults | None:
    """One page of results, or None when `page` is past the end."""
    query = " ".join(query.split())[:MAX_QUERY_LENGTH]
    hits = selectors.live_articles().search(PlainText(query), order_by_relevance=True)
    paginator = Paginator(hits, per_page)
    try:
        result_page = paginator.page(page)
    except EmptyPage:
        if page == 1:
            return SearchResults(page=paginator.page(1), total=0)
        return None
    result_page.object_list = selectors.listing_with_images(result_page.object_list)
    return SearchResults(page=result_page, total=paginator.count)
