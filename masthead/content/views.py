"""Reader-facing listing views that are not Wagtail pages: author, tag and search."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from taggit.models import Tag

from masthead.core import cache_tags as edge_tags

from . import selectors
from .models import Author
from .pagination import PER_PAGE, paginate_articles, requested_page_number
from .search import MAX_QUERY_LENGTH, search_articles


def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    author = get_object_or_404(Author.objects.select_related("photo"), slug=slug)
    page = paginate_articles(request, selectors.articles_by_author(author))
    response = render(request, "content/author.html", {"author": author, "articles": page})
    shown = [edge_tags.page_tag(a.pk) for a in page.object_list]
    edge_tags.add_cache_tags(response, [edge_tags.author_listing_tag(author.pk), *shown])
    return response


def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    page = paginate_articles(request, selectors.articles_tagged(tag.slug))
    return render(request, "content/tag.html", {"tag": tag, "articles": page})


def search(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    query = raw.strip()[:MAX_QUERY_LENGTH]
    truncated = len(raw.strip()) > MAX_QUERY_LENGTH
    results = None
    if query:
        page_number = requested_page_number(request)
        results = search_articles(query=query, page=page_number, per_page=PER_PAGE)
        if results is None:
            raise Http404(_("There is no such page of results."))
    return render(
        request,
        "content/search.html",
        {"query": query, "results": results, "truncated": truncated},
    )
