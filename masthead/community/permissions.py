"""Who may moderate the conversation, and who may open or close it on an article.

Invariants:
- Moderating (the queue, decisions about comments and readers) needs an active account
  with the `community.moderate_comments` permission (superusers have every permission).
  Being staff, or an editor of pages, is not enough.
- Opening or closing comments on an article is a moderator's decision, or that of an
  editor who may edit the article itself.
"""

from __future__ import annotations

from typing import Any

MODERATE = "community.moderate_comments"


def may_moderate(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_active", False)
        and getattr(user, "is_authenticated", False)
        and user.has_perm(MODERATE)
    )


def may_close(user: Any, page: Any) -> bool:
    if may_moderate(user):
        return True
    if not (getattr(user, "is_active", False) and getattr(user, "is_authenticated", False)):
        return False
    return bool(page.permissions_for_user(user).can_edit())
