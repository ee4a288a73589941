"""Suspensions that have run their course end by themselves.

Invariant: a suspension ends at `suspended_until`. Every check that refuses a suspended
reader (moderation_pipeline.check_open, the conversation's "why not" line) already
compares with the clock, so an expired suspension never stops anyone; these services
also set the row back to "active" so the moderators' lists, the reader's admin page and
every later reader of the row agree:
- `suspension_end_if_over(*, commenter, now=None) -> bool` for one reader (called when
  they post: the row is right from their first comment after the suspension);
- `refuse_if_barred(*, user, action, now=None)` refuses a suspended or banned reader's
  like or report (NotAllowed), as posting is refused; an expired suspension refuses
  nothing;
- `suspensions_end_expired(*, now=None) -> int` for all of them (the management command
  `end_suspensions`, looping beside the workers or run from cron; safe to run at any
  time, and twice).
A suspension without an end (`suspended_until` empty) is never ended here. Ending is
not a moderator's decision, so it writes no audit row: the suspension's own decision
says how long it ran. Conditional updates make a race with a new suspension harmless:
a row a moderator just re-suspended no longer matches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from ..models import Commenter, CommenterStatus
from .errors import NotAllowed


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


def refuse_if_barred(*, user: Any, action: str, now: datetime | None = None) -> None:
    """Raise NotAllowed when `user` may not like or report now (suspended or banned).

    `action` is "like" or "report" (it picks the message)."""
    now = now or timezone.now()
    commenter = Commenter.objects.filter(user=user).only("status", "suspended_until").first()
    if commenter is None:
        return
    if commenter.status == CommenterStatus.BANNED:
        banned = {
            "like": _("Your account may no longer like comments."),
            "report": _("Your account may no longer report comments."),
        }
        raise NotAllowed(banned[action], code="banned")
    if commenter.status != CommenterStatus.SUSPENDED:
        return
    until = commenter.suspended_until
    if until is not None and until <= now:
        return  # over: it ends for good at the next post or `end_suspensions`
    if until is None:
        raise NotAllowed(_("Your account is suspended."), code="suspended")
    raise NotAllowed(
        _("Your account is suspended until %(until)s.")
        % {"until": formats.date_format(timezone.localtime(until), "DATETIME_FORMAT")},
        code="suspended",
    )
