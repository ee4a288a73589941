"""Readers reporting comments to the moderators.

Contract:
- `comment_report(*, user, comment, reason, text="", now=None) -> Report`: one report
  per reader and comment. `reason` is a ReportReason value; "other" needs `text`
  (at most TEXT_LIMIT characters). Raises NotAllowed (visitor, own comment, comment not
  published), InvalidInput (unknown reason, missing or long text, already reported),
  RateLimited past `reports_per_hour`.
  When the comment's open reports reach the site's `report_hide_threshold`, it is
  hidden (status HIDDEN, held_reason "reports") until a moderator decides.
- `reports_resolve(*, comment, now=None) -> int` marks the comment's open reports
  resolved (moderation decisions call it) and returns how many.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..config import community_settings
from ..models import Comment, CommentStatus, HeldReason, Report, ReportReason
from . import ratelimit
from .errors import InvalidInput, NotAllowed
from .suspensions import refuse_if_barred
from .visibility import set_status

TEXT_LIMIT = 500


def comment_report(
    *,
    user: Any,
    comment: Comment,
    reason: str,
    text: str = "",
    now: datetime | None = None,
) -> Report:
    now = now or timezone.now()
    if user is None or not user.is_authenticated:
        raise NotAllowed(_("Sign in to report a comment."), code="anonymous")
    if comment.author is not None and comment.author.user_id == user.pk:
        raise NotAllowed(_("You cannot report your own comment."), code="own_comment")
    if comment.status != CommentStatus.PUBLISHED:
        raise NotAllowed(
            _("This comment is already with the moderators or gone."), code="not_published"
        )
    refuse_if_barred(user=user, action="report", now=now)
    if reason not in ReportReason.values:
        raise InvalidInput(_("Choose why you are reporting this comment."), code="reason")
    text = (text or "").strip()
    if reason == ReportReason.OTHER and not text:
        raise InvalidInput(
            _("Tell the moderators what is wrong with this comment."), code="text_required"
        )
    if len(text) > TEXT_LIMIT:
        raise InvalidInput(
            _("Keep your note to the moderators under %(n)d characters.") % {"n": TEXT_LIMIT},
            code="text_long",
        )
    already = InvalidInput(
        _("You have reported this comment; the moderators will look at it."),
        code="already_reported",
    )
    if Report.objects.filter(comment=comment, reporter=user).exists():
        raise already
    config = community_settings(comment.conversation.page)
    ratelimit.hit("report", user.pk, config, now)
    try:
        with transaction.atomic():
            report = Report.objects.create(comment=comment, reporter=user, reason=reason, text=text)
            Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
            locked = Comment.objects.select_for_update().get(pk=comment.pk)
            if (
                locked.status == CommentStatus.PUBLISHED
                and locked.report_count >= config.report_hide_threshold
            ):
                set_status(locked, CommentStatus.HIDDEN, held_reason=HeldReason.REPORTS)
    except IntegrityError:
        raise already from None
    return report


def reports_resolve(*, comment: Comment, now: datetime | None = None) -> int:
    now = now or timezone.now()
    resolved = Report.objects.filter(comment=comment, resolved_at__isnull=True).update(
        resolved_at=now
    )
    Comment.objects.filter(pk=comment.pk).update(report_count=0)
    return resolved
