"""Pagination for article listings.

Invariant: a page number from the address bar never causes a 500. Junk (`abc`) and
numbers below one read as page 1; a page past the end is a 404.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, Page, Paginator
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from .images import listing_with_images

PER_PAGE = 12


def requested_page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page", "1"))
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def paginate_articles(request: HttpRequest, queryset: Any, per_page: int = PER_PAGE) -> Page:
    paginator = Paginator(queryset, per_page)
    try:
        page = paginator.page(requested_page_number(request))
    except EmptyPage as exc:
        raise Http404(_("There is no such page of articles.")) from exc
    page.object_list = listing_with_images(page.object_list)
    return page
