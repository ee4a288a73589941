"""Columns that apps above content add to article listings (a comment count, say).

Invariant: an app adds a column as a query expression (a join or a subquery), applied
to the listing's own queryset by `annotate_listing`, so a listing of N articles still
costs one query, never one more per article. Content calls `annotate_listing` on every
listing it builds and knows nothing of who registered what; an app registers from its
AppConfig.ready. The expressions must be cheap: every section page, the front page and
the feeds run them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

# name -> a function returning the expression (called per listing: expressions are
# not shared between querysets).
_columns: dict[str, Callable[[], Any]] = {}


def register_column(name: str, expression: Callable[[], Any]) -> None:
    """Listings get `name` on each article, computed in the listing's own query."""
    _columns[name] = expression


def unregister_column(name: str) -> None:
    _columns.pop(name, None)


def annotate_listing(queryset: QuerySet[Any]) -> QuerySet[Any]:
    if not _columns:
        return queryset
    return queryset.annotate(**{name: make() for name, make in _columns.items()})
