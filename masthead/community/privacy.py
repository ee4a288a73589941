"""The community's sections of the reader's data export and erasure.

Invariant: every community model pointing at the reader is covered here or in the
modules imported at the bottom (following/notifications by community-notify, the
moderation log by community-moderation).
"""

from __future__ import annotations

from typing import Any

from masthead.core import privacy

from .models import Commenter, Like, Report


def export_comments(user: Any) -> dict[str, Any]:
    commenter = Commenter.objects.filter(user=user).first()
    comments = []
    if commenter is not None:
        comments = [
            {
                "id": c.pk,
                "page": c.conversation.page.title,
                "in_reply_to": c.parent_id,
                "text": c.body,
                "status": c.status,
                "created": c.created,
                "edited": c.edited_at,
            }
            for c in commenter.comments.select_related("conversation__page").order_by(
                "created", "pk"
            )
        ]
    return {
        "display_name": commenter.display_name if commenter else None,
        "comments": comments,
        "likes": [
            {"comment": like.comment_id, "at": like.created}
            for like in Like.objects.filter(user=user).order_by("created", "pk")
        ],
        "reports": [
            {"comment": r.comment_id, "reason": r.reason, "text": r.text, "at": r.created}
            for r in Report.objects.filter(reporter=user).order_by("created", "pk")
        ],
    }


def erase_comments(user: Any) -> dict[str, int]:
    # Imported here: services import this app's models and settings machinery, and the
    # privacy registry imports this module while apps load.
    from .services.erasure import erase_reader

    return erase_reader(user=user)


privacy.register_exporter("comments", export_comments, covers=[Commenter, Like, Report])
privacy.register_eraser("comments", erase_comments)

# The other parts of the app register their own sections.
from . import privacy_following, privacy_moderation  # noqa: E402, F401
