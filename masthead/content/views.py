"""Reader-facing listing views that are not Wagtail pages: author, tag and search."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from taggit.models import Tag

from . import selectors
from .models import Author
from .search import MAX_QUERY_LENGTH, search_articles

PER_PAGE = 12


def _page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page", "1"))
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def _paginate(request: HttpRequest, items: object, per_page: int = PER_PAGE) -> Page:
    paginator = Paginator(items, per_page)
    try:
        page = paginator.page(_page_number(request))
    except EmptyPage as exc:
        raise Http404(_("There is no such page of results.")) from exc
    page.object_list = selectors.listing_with_images(page.object_list)
    return page


def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author.objects.select_related("photo"), slug=slug)
    page = _paginate(request, selectors.articles_by_author(author))
    return render(request, "content/author.html", {"author": author, "articles": page})


def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    page = _paginate(request, selectors.articles_tagged(tag.slug))
    return render(request, "content/tag.html", {"tag": tag, "articles": page})


def search(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    query = raw.strip()[:MAX_QUERY_LENGTH]
    truncated = len(raw.strip()) > MAX_QUERY_LENGTH
    results = None
    if query:
        page_number = _page_number(request)
        results = search_articles(query=query, page=page_number, per_page=PER_PAGE)
        if results is None:
            raise Http404(_("There is no such page of results."))
    return render(
        request,
        "content/search.html",
        {"query": query, "results": results, "truncated": truncated},
    )
