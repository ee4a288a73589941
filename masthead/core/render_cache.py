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


COLUMNS_GENERATION_KEY = "render:listing-columns-generation"
REQUEST_ATTR = "_masthead_generations"
FRAGMENTS_ATTR = "_masthead_fragments"


def _generations(request: HttpRequest | None) -> dict[str, str]:
    """Both tokens, each made on first use (and again if the cache lost it); read in
    one round trip, once per request when the request is given (a page's parts then
    agree on them)."""
    if request is not None:
        found = getattr(request, REQUEST_ATTR, None)
        if found is not None:
            return found
    keys = (GENERATION_KEY, COLUMNS_GENERATION_KEY)
    tokens = cache.get_many(keys)
    for key in keys:
        if tokens.get(key) is None:
            cache.add(key, secrets.token_hex(6), timeout=None)
            tokens[key] = cache.get(key) or "none"
    found = {key: str(tokens[key]) for key in keys}
    if request is not None:
        setattr(request, REQUEST_ATTR, found)
    return found


def pages_generation(request: HttpRequest | None = None) -> str:
    """The token every published-page change replaces (see the module docstring)."""
    return _generations(request)[GENERATION_KEY]


def columns_generation(request: HttpRequest | None = None) -> str:
    """Like `pages_generation`, for the columns apps add to listing cards (a comment
    count, core.listings): a fragment that shows cards puts both tokens in its key."""
    return _generations(request)[COLUMNS_GENERATION_KEY]


def columns_changed(**kwargs: object) -> None:
    """Signal receiver: an app's listing column changed (a comment was published or
    removed): every fragment showing cards is retired."""
    cache.set(COLUMNS_GENERATION_KEY, secrets.token_hex(6), timeout=None)


def pages_changed(**kwargs: object) -> None:
    """Signal receiver: every fragment keyed on the generation is retired."""
    cache.set(GENERATION_KEY, secrets.token_hex(6), timeout=None)


def prefetched(request: HttpRequest, found: dict[str, object]) -> None:
    """Fragments read together with something else (a page's shell, in one round
    trip), for `cached_fragment` to take from the request instead of the cache."""
    setattr(request, FRAGMENTS_ATTR, {**getattr(request, FRAGMENTS_ATTR, {}), **found})


def cached_fragment(
    key: str,
    render: Callable[[], str],
    request: HttpRequest | None = None,
    *,
    seconds: int = FRAGMENT_SECONDS,
) -> str:
    """The fragment stored under `key` (or prefetched for `request`), or `render()`
    stored there for `seconds`."""
    full_key = FRAGMENT_PREFIX + key
    html = getattr(request, FRAGMENTS_ATTR, {}).get(full_key) if request is not None else None
    if html is None:
        html = cache.get(full_key)
    if html is None:
        html = render()
        cache.set(full_key, html, seconds)
    return html
