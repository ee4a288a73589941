"""Site search over published articles, through Wagtail's search backend.

Invariant: any string a reader types is safe. The query is reduced to words (letters
and digits of any script), cut to a sane length, and handed to the backend as plain
text, so no quote, operator or bracket reaches the full-text engine's own syntax.
Results carry only the headline and standfirst, never the body, and a gated article
is found only by words anyone may read in it (see `search_articles`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.core.paginator import EmptyPage, Page, Paginator
from django.db import DatabaseError
from wagtail.search.query import PlainText

from . import selectors

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MAX_RESULTS = 500
_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)

logger = logging.getLogger("masthead.search")


@dataclass
class SearchResults:
    page: Page
    total: int


def search_terms(query: str) -> str:
    """The words of `query`, at most MAX_TERMS of them, joined by single spaces."""
    words = [w for w in _NOT_WORD.sub(" ", query[:MAX_QUERY_LENGTH]).split() if w.strip("_")]
    return " ".join(words[:MAX_TERMS])


def _public_words(article: Any) -> set[str]:
    """The whole words anyone may read of an article: its headline and standfirst."""
    return set(search_terms_all(f"{article.title} {article.standfirst}").casefold().split())


def search_terms_all(text: str) -> str:
    """Every word of `text` (no length or count cap), split as `search_terms` splits."""
    return " ".join(w for w in _NOT_WORD.sub(" ", text).split() if w.strip("_"))


def _publicly_matches(article: Any, words: list[str]) -> bool:
    """True when every search word is a whole word of what anyone may read of the
    article. A gated article must not be found by withheld words, and a withheld word
    that happens to sit inside a visible one ("cat" in "education") is still withheld:
    a substring test would let a search tell which article holds it."""
    public = _public_words(article)
    return all(word.casefold() in public for word in words)


def search_articles(*, query: str, page: int, per_page: int) -> SearchResults | None:
    """One page of results, or None when `page` is past the end.

    The index covers every article's body, so a gated article is kept only when the
    words are also in its headline or standfirst: otherwise searching for a withheld
    sentence would reveal which article holds it. Results are capped at MAX_RESULTS.
    """
    terms = search_terms(query)
    if not terms:
        return SearchResults(page=Paginator([], per_page).page(1), total=0)
    words = terms.split()
    try:
        hits = list(
            selectors.searchable_articles().search(PlainText(terms), order_by_relevance=True)[
                :MAX_RESULTS
            ]
        )
    except DatabaseError:
        logger.warning("search failed for terms %r", terms, exc_info=True)
        return SearchResults(page=Paginator([], per_page).page(1), total=0)
    visible = [a for a in hits if a.is_free or _publicly_matches(a, words)]
    paginator = Paginator(visible, per_page)
    try:
        result_page = paginator.page(page)
    except EmptyPage:
        if page == 1:
            return SearchResults(page=paginator.page(1), total=0)
        return None
    result_page.object_list = selectors.listing_with_images(result_page.object_list)
    return SearchResults(page=result_page, total=paginator.count)
