"""What the moderation queue lists: held comments, reported comments, recent decisions.

Invariants:
- Pending: comments waiting for a moderator (held by the pipeline), oldest first, so
  the longest wait is handled first.
- Reported: published or hidden comments with open (unresolved) reports, most reported
  first; each row carries its open reports' reasons, counted, and their texts.
- Recently decided: the audit log, newest first.
- Each listing runs a fixed number of queries whatever its length (rows, then one
  query per prefetched relation), and `queue_counts` is two counts that start from
  an index (held comments by status; open reports by `resolved_at`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from .models import (
    Comment,
    Commenter,
    CommentStatus,
    ModerationDecision,
    Report,
)

REPORTED_STATES = (CommentStatus.PUBLISHED, CommentStatus.HIDDEN)


def _with_context(comments: QuerySet[Comment]) -> QuerySet[Comment]:
    return comments.select_related("author__user", "conversation__page", "parent__author")


def pending_comments() -> QuerySet[Comment]:
    return _with_context(Comment.objects.filter(status=CommentStatus.PENDING)).order_by(
        "created", "id"
    )


def open_reports() -> QuerySet[Report]:
    return Report.objects.filter(resolved_at__isnull=True)


def _reported() -> QuerySet[Comment]:
    # From the open reports (few, and indexed), not a scan of every comment's count.
    return Comment.objects.filter(
        pk__in=open_reports().values("comment_id"), status__in=REPORTED_STATES
    )


def reported_comments() -> QuerySet[Comment]:
    return (
        _with_context(_reported())
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=open_reports().order_by("created", "id"),
                to_attr="open_reports",
            )
        )
        .order_by("-report_count", "created", "id")
    )


def recent_decisions() -> QuerySet[ModerationDecision]:
    return ModerationDecision.objects.select_related(
        "actor", "reader__commenter", "comment__author", "conversation__page"
    ).order_by("-created", "-id")


@dataclass(frozen=True)
class QueueCounts:
    pending: int
    reported: int


def queue_counts() -> QueueCounts:
    return QueueCounts(
        pending=Comment.objects.filter(status=CommentStatus.PENDING).count(),
        reported=_reported().count(),
    )


def report_summary(reports: list[Report]) -> list[tuple[str, int]]:
    """(reason label, how many) for a comment's open reports, most frequent first."""
    counts = Counter(report.get_reason_display() for report in reports)
    return counts.most_common()


def reader_comments(commenter: Commenter, limit: int = 50) -> list[Comment]:
    """A reader's latest comments in every state, for the per-reader page."""
    return list(
        Comment.objects.filter(author=commenter)
        .select_related("conversation__page")
        .order_by("-created", "-id")[:limit]
    )


def reader_decisions(user: Any, limit: int = 50) -> list[ModerationDecision]:
    return list(
        ModerationDecision.objects.filter(reader=user)
        .select_related("actor", "comment", "conversation__page")
        .order_by("-created", "-id")[:limit]
    )
