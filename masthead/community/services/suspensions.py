"""Suspensions that have run their course end by themselves.

Invariant: a suspension ends at `suspended_until`. Every check that refuses a suspended
reader (moderation_pipeline.check_open, the conversation's "why not" line) already
compares with the clock, so an expired suspension never stops anyone; these services
also set the row back to "active" so the moderators' lists, the reader's admin page and
every later reader of the row agree:
- `suspension_end_if_over(*, commenter, now=None) -> bool` for one reader (called when
  they post: the row is right from their first comment after the suspension);
- `suspensions_end_expired(*, now=None) -> int` for all of them (the management command
  `end_suspensions`, run from cron or a scheduler; safe to run at any time, and twice).
A suspension without an end (`suspended_until` empty) is never ended here. Ending is
not a moderator's decision, so it writes no audit row: the suspension's own decision
says how long it ran. Conditional updates make a race with a new suspension harmless:
a row a moderator just re-suspended no longer matches.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from ..models import Commenter, CommenterStatus


def _expired(now: datetime) -> QuerySet[Commenter]:
    return Commenter.objects.filter(
        status=CommenterStatus.SUSPENDED, suspended_until__isnull=False, suspended_until__lte=now
    )


def suspension_end_if_over(*, commenter: Commenter, now: datetime | None = None) -> bool:
    """Set `commenter` back to active if their suspension is over; True when it was."""
    now = now or timezone.now()
    if commenter.pk is None or commenter.status != CommenterStatus.SUSPENDED:
        return False
    ended = (
        _expired(now)
        .filter(pk=commenter.pk)
        .update(status=CommenterStatus.ACTIVE, suspended_until=None)
    )
    if ended:
        commenter.status, commenter.suspended_until = CommenterStatus.ACTIVE, None
    return bool(ended)


def suspensions_end_expired(*, now: datetime | None = None) -> int:
    """End every suspension that is over; how many were ended."""
    return _expired(now or timezone.now()).update(
        status=CommenterStatus.ACTIVE, suspended_until=None
    )
