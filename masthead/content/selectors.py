"""Reads for the reader-facing pages.

Invariant: each page costs a fixed number of queries, whatever the number of blocks,
images, tags, authors or related articles. Every image a page shows is loaded with its
renditions in one pooled round (`preloaded_images`), and lists are fetched with their
relations joined or prefetched, never per item.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Window
from django.db.models.functions import Length, RowNumber, Substr
from django.http import HttpRequest
from wagtail.models import Page, PageViewRestriction

from masthead.access.api import article_access, with_access_settings
from masthead.core.listings import annotate_listing

from .images import attach_heroes, listing_with_images, load_images, preloaded_images
from .models import ArticleAuthor, ArticlePage, Author, HomePage, SectionPage

RELATED_LIMIT = 4

__all__ = ["listing_with_images", "load_images", "preloaded_images"]  # re-exported


def without_view_restrictions(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Wagtail's `.public()` in one SQL statement instead of a query plus a filter:
    drop pages that sit under (or are) a page with a view restriction."""
    restricted = PageViewRestriction.objects.annotate(
        outer_prefix=Substr(OuterRef("path"), 1, Length("page__path"))
    ).filter(outer_prefix=F("page__path"))
    return queryset.exclude(Exists(restricted))


def live_articles() -> QuerySet[ArticlePage]:
    """Published, unrestricted articles, newest first, with what a card shows joined
    (and the columns apps add to listings, such as a comment count: core.listings)."""
    return annotate_listing(
        without_view_restrictions(ArticlePage.objects.live())
        .select_related("section", "hero_image")
        .order_by("-first_published_at", "-pk")
    )


def searchable_articles() -> QuerySet[ArticlePage]:
    """Like `live_articles`, in the form the search backend can filter (it cannot
    translate the EXISTS subquery, so this uses Wagtail's own `.public()`)."""
    return ArticlePage.objects.live().public().select_related("section", "hero_image")


def article_serving_queryset() -> QuerySet[ArticlePage]:
    return ArticlePage.objects.select_related("section", "hero_image").prefetch_related(
        Prefetch(
            "bylines",
            queryset=ArticleAuthor.objects.select_related("author").order_by("sort_order"),
        ),
        "tags",
    )


def page_for_path(*, root: Page, path_components: list[str]) -> Page | None:
    """The live page at `root`/a/b/c/, found in one or two queries instead of one per level."""
    url_path = root.url_path + "/".join(path_components) + "/"
    # The site's access settings ride along in the same query (one subquery), so
    # deciding who may read the article costs no query of its own.
    article = (
        with_access_settings(article_serving_queryset(), root_page_id=root.pk)
        .filter(url_path=url_path, live=True)
        .first()
    )
    if article is not None:
        return article
    row = (
        Page.objects.filter(url_path=url_path, live=True)
        .values_list("pk", "content_type_id")
        .first()
    )
    if row is None:
        return None
    model = ContentType.objects.get_for_id(row[1]).model_class()
    if model is None:
        return None
    return model.objects.get(pk=row[0])


def _stream_image_ids(stream_data: Iterable[Any]) -> list[int]:
    ids: list[int] = []
    for block in stream_data:
        if block.get("type") == "image":
            value = block.get("value") or {}
            if isinstance(value, dict) and value.get("image"):
                ids.append(value["image"])
    return ids


def related_articles(*, article: ArticlePage, tag_ids: list[int]) -> list[ArticlePage]:
    """Up to four live articles sharing the most tags, then the same section, newest first."""
    match = Q(section_id=article.section_id)
    if tag_ids:
        match |= Q(tagged_items__tag_id__in=tag_ids)
    return list(
        live_articles()
        .exclude(pk=article.pk)
        .filter(match)
        .annotate(shared=Count("tagged_items", filter=Q(tagged_items__tag_id__in=tag_ids)))
        .order_by("-shared", "-first_published_at", "-pk")[:RELATED_LIMIT]
    )


def article_page_context(*, article: ArticlePage, request: HttpRequest) -> dict[str, Any]:
    """Everything the article template shows. The body comes only as `access.lead` and
    `access.rest`: the blocks this reader may see (masthead.access decides)."""
    tags = list(article.tags.all())
    related = related_articles(article=article, tag_ids=[t.pk for t in tags])
    image_ids = [article.hero_image_id, *(a.hero_image_id for a in related)]
    image_ids += _stream_image_ids(article.body.raw_data)
    images = load_images(image_ids)
    attach_heroes([article, *related], images)
    with preloaded_images(images):
        list(article.body)  # binds every block now, so body images come from the pool
    # The decision ArticlePage.serve made (cached on the request). Without one (a
    # preview, a password prompt) this decides now, never drawing on the allowance.
    access = article_access(request=request, article=article, countable=False)
    return {
        "tags": tags,
        "related_articles": related,
        "authors": article.authors,
        "access": access,
    }


@dataclass
class Rail:
    section: SectionPage
    articles: list[ArticlePage] = field(default_factory=list)


@dataclass
class FrontPage:
    lead: ArticlePage | None
    rails: list[Rail]


def front_page(*, home: HomePage) -> FrontPage:
    """The lead story, then the newest articles of each top-level section, in tree order."""
    sections = list(
        without_view_restrictions(SectionPage.objects.live().child_of(home)).order_by("path")
    )
    lead = None
    if home.lead_story_id:
        lead = live_articles().filter(pk=home.lead_story_id).first()
    if lead is None:
        lead = live_articles().descendant_of(home).first()
    section_depth = home.depth + 1
    prefix_len = section_depth * Page.steplen
    ranked = (
        live_articles()
        .descendant_of(home)
        .exclude(pk=lead.pk if lead else None)
        .annotate(
            top_path=Substr("path", 1, prefix_len),
            rank=Window(
                RowNumber(),
                partition_by=[Substr("path", 1, prefix_len)],
                order_by=[F("first_published_at").desc(), F("pk").desc()],
            ),
        )
        .filter(rank__lte=home.rail_size)
    )
    by_prefix: dict[str, list[ArticlePage]] = {}
    for item in ranked:
        by_prefix.setdefault(item.top_path, []).append(item)
    rails = [Rail(section=s, articles=by_prefix.get(s.path, [])) for s in sections]
    rails = [r for r in rails if r.articles]
    all_articles = ([lead] if lead else []) + [a for r in rails for a in r.articles]
    attach_heroes(all_articles, load_images(a.hero_image_id for a in all_articles))
    return FrontPage(lead=lead, rails=rails)


def articles_by_author(author: Author) -> QuerySet[ArticlePage]:
    return live_articles().filter(bylines__author=author)


def articles_tagged(tag_slug: str) -> QuerySet[ArticlePage]:
    return live_articles().filter(tags__slug=tag_slug)
