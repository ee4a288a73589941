"""Rendered fragments kept in the shared cache, and the generation that retires them.

Invariants:
- `pages_generation()` is a token that changes whenever a published page changes (an
  app calls `pages_changed()` on publish, unpublish, move or delete): a fragment that
  shows other pages (a related-story box, a link's address or title) puts the token in
  its key, so after such a change it is rendered afresh, never served stale.
- A fragment key names exactly what the fragment holds (callers build it from the
  page, its revision and which part), so what a key may hold is decided by the caller's
  own access rules at the moment it reads the key: this module stores, it never decides.
- The cache only makes rendering faster: with the cache empty or unreachable the
  fragment is rendered on every request and the page is the same.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest

GENERATION_KEY = "render:pages-generation"
FRAGMENT_PREFIX = "render:fragment:v1:"
FRAGMENT_SECONDS = 24 * 3600


REQUEST_ATTR = "_masthead_pages_generation"


def pages_generation(request: HttpRequest | None = None) -> str:
    """The current token (made on first use, and again if the cache lost it); read
    once per request when the request is given (a page's parts then agree on it)."""
    if request is not None:
        found = getattr(request, REQUEST_ATTR, None)
        if found is not None:
            return found
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, secrets.token_hex(6), timeout=None)
        token = cache.get(GENERATION_KEY) or "none"
    token = str(token)
    if request is not None:
        setattr(request, REQUEST_ATTR, token)
    return token


COLUMNS_GENERATION_KEY = "render:listing-columns-generation"
COLUMNS_REQUEST_ATTR = "_masthead_columns_generation"


def columns_generation(request: HttpRequest | None = None) -> str:
    """Like `pages_generation`, for the columns apps add to listing cards (a comment
    count, core.listings): a fragment that shows cards puts both tokens in its key."""
    if request is not None:
        found = getattr(request, COLUMNS_REQUEST_ATTR, None)
        if found is not None:
            return found
    token = cache.get(COLUMNS_GENERATION_KEY)
    if token is None:
        cache.add(COLUMNS_GENERATION_KEY, secrets.token_hex(6), timeout=None)
        token = cache.get(COLUMNS_GENERATION_KEY) or "none"
    token = str(token)
    if request is not None:
        setattr(request, COLUMNS_REQUEST_ATTR, token)
    return token


def columns_changed(**kwargs: object) -> None:
    """Signal receiver: an app's listing column changed (a comment was published or
    removed): every fragment showing cards is retired."""
    cache.set(COLUMNS_GENERATION_KEY, secrets.token_hex(6), timeout=None)


def pages_changed(**kwargs: object) -> None:
    """Signal receiver: every fragment keyed on the generation is retired."""
    cache.set(GENERATION_KEY, secrets.token_hex(6), timeout=None)


def cached_fragment(key: str, render: Callable[[], str]) -> str:
    """The fragment stored under `key`, or `render()` stored there."""
    full_key = FRAGMENT_PREFIX + key
    html = cache.get(full_key)
    if html is None:
        html = render()
        cache.set(full_key, html, FRAGMENT_SECONDS)
    return html
