"""Cache tags: the names a shared cache (Varnish's xkey, a CDN's Surrogate-Key) files a
page under, so that a change purges exactly the pages that show it.

Invariant: tags leave the app only on responses that are shared-cacheable
(`PublicCacheMiddleware` writes them, as `xkey` and `Surrogate-Key`, after it has decided
the response is public, and removes them from every other response), so a private page
never carries one. Every public page carries SITE_TAG, so "everything" is one purge.

The names (one vocabulary for the pages that carry them and the purges that name them):
- `page-<id>`: a page, and every listing that shows it (a card on a section page);
- `listing-<id>`: the listing pages of section or front page <id> (every page number);
- `section-<id>`: the articles in section <id> (they show its name and access level);
- `author-<id>`: the articles bylined to author <id>; `listing-author-<id>`: their page;
- `offer-<kind>-<key>`: the pages with a sign-up box offering it (an open newsletter:
  `offer-newsletter-<id>`);
- `front`: the front page; `site`: every public page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SITE_TAG = "site"
FRONT_TAG = "front"
HEADERS = ("xkey", "Surrogate-Key")


def page_tag(pk: int) -> str:
    return f"page-{pk}"


def listing_tag(pk: int) -> str:
    return f"listing-{pk}"


def section_tag(pk: int) -> str:
    return f"section-{pk}"


def author_tag(pk: int) -> str:
    return f"author-{pk}"


def author_listing_tag(pk: int) -> str:
    return f"listing-author-{pk}"


def offer_tag(kind: str, key: object) -> str:
    return f"offer-{kind}-{key}"


def add_cache_tags(response: Any, tags: Iterable[str]) -> None:
    """File `response` under `tags` too (written out only if it ends up public)."""
    current: set[str] = getattr(response, "cache_tags", None) or set()
    response.cache_tags = current | {t for t in tags if t}


def write_cache_tags(response: Any) -> None:
    """Called by the middleware on a public response: SITE_TAG and the response's tags."""
    tags = " ".join(sorted({SITE_TAG, *(getattr(response, "cache_tags", None) or ())}))
    for header in HEADERS:
        response[header] = tags


def remove_cache_tags(response: Any) -> None:
    for header in HEADERS:
        if response.has_header(header):
            del response[header]
