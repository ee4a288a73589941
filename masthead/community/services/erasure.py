"""Erasing a reader from the community, keeping every thread whole.

Contract: `erase_reader(user=)` runs inside the caller's transaction and returns counts.
Likes and reports by the reader are removed (counters follow); the reader's comments are
anonymised (kept, author unlinked) or, when the site's `erase_mode` is "remove",
turned into tombstones (text and earlier revisions removed), so replies keep their place;
the Commenter (display name) is deleted, freeing the name.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F

from ..config import community_settings
from ..models import (
    Comment,
    Commenter,
    CommentRevision,
    CommentStatus,
    Conversation,
    EraseMode,
    Like,
    Report,
)


def erase_reader(*, user: Any) -> dict[str, int]:
    counts = {"likes": 0, "reports": 0, "comments": 0}
    for row in Like.objects.filter(user=user).values("comment_id").annotate(n=Count("id")):
        Comment.objects.filter(pk=row["comment_id"]).update(like_count=F("like_count") - row["n"])
        counts["likes"] += row["n"]
    Like.objects.filter(user=user).delete()
    for comment_id in Report.objects.filter(reporter=user, resolved_at__isnull=True).values_list(
        "comment_id", flat=True
    ):
        Comment.objects.filter(pk=comment_id, report_count__gt=0).update(
            report_count=F("report_count") - 1
        )
    counts["reports"] = Report.objects.filter(reporter=user).delete()[0]

    commenter = Commenter.objects.filter(user=user).first()
    if commenter is None:
        return counts
    comments = Comment.objects.filter(author=commenter)
    counts["comments"] = comments.count()
    if community_settings().erase_mode == EraseMode.REMOVE:
        published = comments.filter(status=CommentStatus.PUBLISHED)
        for row in published.values("conversation_id").annotate(n=Count("id")):
            Conversation.objects.filter(pk=row["conversation_id"]).update(
                published_count=F("published_count") - row["n"]
            )
        for row in published.exclude(parent=None).values("parent_id").annotate(n=Count("id")):
            Comment.objects.filter(pk=row["parent_id"]).update(
                reply_count=F("reply_count") - row["n"]
            )
        CommentRevision.objects.filter(comment__author=commenter).delete()
        comments.update(status=CommentStatus.DELETED, body="", body_html="", featured_at=None)
    comments.update(author=None)
    commenter.delete()
    return counts
