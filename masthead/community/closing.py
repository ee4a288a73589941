"""When a conversation takes comments.

Contract (pure; callers pass what they loaded):
- `closes_at(page, config) -> datetime | None`: when comments close on their own
  (`close_after_days` after the page's first publication), None for never.
- `is_open(page, conversation, config, now) -> bool`: open unless an editor closed the
  conversation (Conversation.closed, from the moderation queue) or the page
  (`comments_open` off in the page's settings, where a page type has that switch), or
  the closing time has passed. A page that is not live is not open.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def closes_at(page: Any, config: Any) -> datetime | None:
    if not config.close_after_days:
        return None
    published = getattr(page, "first_published_at", None)
    if published is None:
        return None
    return published + timedelta(days=config.close_after_days)


def is_open(page: Any, conversation: Any, config: Any, now: datetime) -> bool:
    if conversation is not None and conversation.closed:
        return False
    if not getattr(page, "comments_open", True):
        return False
    if not getattr(page, "live", False):
        return False
    closing = closes_at(page, config)
    return closing is None or now < closing
