"""The comment count on listing cards (section pages, the front page, tag and author
pages), added to content's listing query through core.listings.

Invariant: the count is the conversation's denormalised `published_count`, joined in
the listing's own query (one LEFT JOIN on a one-to-one key), so a listing of N articles
costs no query more for its counts.
"""

from __future__ import annotations

from django.db.models import F

from masthead.core.listings import register_column

COLUMN = "comment_count"


def register() -> None:
    """Called once from the app's ready()."""
    register_column(COLUMN, lambda: F("conversation__published_count"))
