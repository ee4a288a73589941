"""The access app's public surface: what the content app (and apps like it) may use.

Invariant: `masthead.content` imports nothing from `masthead.access` but this module (an
import-linter contract in pyproject.toml checks it), so everything access does for a
page is here, under a name that says what it is for; the rest of access may change
without touching content.

Serving an article, in order (`ArticlePage.serve`):
    access = article_access(request=request, article=page)  # decides; writes nothing
    article_view_record(access=access)                      # the meter: once per request
    ... render ...
    finish_article_response(response, access)               # no-store, free-reads cookie

Apps that serve pages of their own about an article (the comments) tell shared caches
to drop them with `purge_later(urls)`, the purge the article pages use.
"""

from __future__ import annotations

from .articles import GatedArticle
from .lead_in import MARKER_TYPE, marker_withholds_nothing
from .policy import Level
from .purge import purge_later
from .responses import finish_article_response
from .selectors import PREVIEW_AS_READER, ArticleAccess, article_access, with_access_settings
from .services import article_view_record

__all__ = [
    "MARKER_TYPE",
    "PREVIEW_AS_READER",
    "ArticleAccess",
    "GatedArticle",
    "Level",
    "article_access",
    "article_view_record",
    "finish_article_response",
    "marker_withholds_nothing",
    "purge_later",
    "with_access_settings",
]
