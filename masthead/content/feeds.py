"""RSS and Atom feeds, site-wide and per section.

Invariant: a feed item carries the headline, the standfirst and metadata; never the
article body, so nothing withheld by the wall can leak through a feed reader.
"""

from __future__ import annotations

from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from wagtail.models import Site

from masthead.core import cache_tags as edge_tags
from masthead.core.newsroom import newsroom_name

from .models import ArticlePage, SectionPage
from .selectors import live_articles

FEED_SIZE = 30


class _ArticleFeedMixin:
    request: HttpRequest | None = None

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.request = request
        response = super().__call__(request, *args, **kwargs)  # type: ignore[misc]
        response["Cache-Control"] = "public, max-age=300, s-maxage=300"
        if (listing := kwargs.get("listing")) is not None:
            edge_tags.add_cache_tags(response, [edge_tags.listing_tag(listing.pk)])
        return response

    def item_title(self, item: ArticlePage) -> str:
        return item.title

    def item_description(self, item: ArticlePage) -> str:
        return item.standfirst

    def item_link(self, item: ArticlePage) -> str:
        return item.get_full_url(self.request)

    def item_guid(self, item: ArticlePage) -> str:
        return item.get_full_url(self.request)

    def item_pubdate(self, item: ArticlePage) -> Any:
        return item.first_published_at

    def item_updateddate(self, item: ArticlePage) -> Any:
        return item.updated_at or item.last_published_at or item.first_published_at

    def item_author_name(self, item: ArticlePage) -> str:
        return ", ".join(b.author.name for b in item.bylines.all())

    def item_categories(self, item: ArticlePage) -> list[str]:
        return [t.name for t in item.tags.all()]


class _ListingFeed(_ArticleFeedMixin, Feed):
    def get_object(self, request: HttpRequest, listing: Any = None) -> Any:
        return listing

    def title(self, listing: Any) -> str:
        site = Site.find_for_request(self.request)
        name = newsroom_name(site)
        if isinstance(listing, SectionPage):
            return f"{listing.title} | {name}"
        return name

    def link(self, listing: Any) -> str:
        return listing.get_full_url(self.request)

    def description(self, listing: Any) -> str:
        return getattr(listing, "standfirst", "") or listing.title

    def items(self, listing: Any) -> Any:
        return listing.listing_articles().prefetch_related("bylines__author", "tags")[:FEED_SIZE]


class ListingRssFeed(_ListingFeed):
    feed_type = Rss201rev2Feed


class ListingAtomFeed(_ListingFeed):
    feed_type = Atom1Feed
    subtitle = _ListingFeed.description


class _SiteFeed(_ArticleFeedMixin, Feed):
    def get_object(self, request: HttpRequest) -> Any:
        site = Site.find_for_request(request)
        return site.root_page.specific if site else None

    title = _ListingFeed.title
    link = _ListingFeed.link
    description = _ListingFeed.description

    def items(self, listing: Any) -> Any:
        if listing is None:
            return ArticlePage.objects.none()
        return (
            live_articles()
            .descendant_of(listing)
            .prefetch_related("bylines__author", "tags")[:FEED_SIZE]
        )


class SiteRssFeed(_SiteFeed):
    feed_type = Rss201rev2Feed


class SiteAtomFeed(_SiteFeed):
    feed_type = Atom1Feed
    subtitle = _ListingFeed.description
