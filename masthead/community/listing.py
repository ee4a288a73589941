"""The comment count on listing cards (section pages, the front page, tag and author
pages), added to content's listing query through core.listings.

Invariant: the count is the conversation's denormalised `published_count`, joined in
the listing's own query (one LEFT JOIN on a one-to-one key), so a listing of N articles
costs no query more for its counts.
"""

from __future__ import annotations

from django.db.models import F

from masthead.core.listings import register_column
from masthead.core.render_cache import columns_changed

from . import signals

COLUMN = "comment_count"


def register() -> None:
    """Called once from the app's ready(). Pages rendered once with cards on them (core
    page shells) are retired whenever a comment's change may change a count."""
    register_column(COLUMN, lambda: F("conversation__published_count"))
    for signal in (
        signals.comment_published,
        signals.comment_changed,
        signals.comment_decided,
    ):
        signal.connect(columns_changed, dispatch_uid=f"community-columns-{id(signal)}")
