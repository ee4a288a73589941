"""Moderators' decisions about comments, readers and conversations.

Contract:
- Every function is keyword-only, takes the `actor` (who decides) and refuses with
  `NotAllowed` unless the actor may moderate (`permissions.may_moderate`; opening and
  closing comments also by an editor of the article, `permissions.may_close`).
- Each runs in one transaction, locks the row it changes (two moderators deciding at
  once never count a comment twice), writes exactly one `ModerationDecision` (the
  audit log) per comment or reader decided, and returns it.
- A decision that does not fit the row's state (approving a comment its author
  deleted, featuring a rejected one, suspending a banned reader) raises `InvalidInput`
  with a message for the moderator, and writes nothing.
- Comments change state only through `visibility.set_status` (the counters that
  follow a published comment, `comment_published` and `comment_changed`), and their
  reports close through `reports.reports_resolve`: the same paths as posting and
  reporting, so the counts cannot drift.
- Signals go out once the transaction commits: `comment_decided` when a moderator
  changes a comment's state (approved from held, hidden or rejected; rejected),
  `comment_featured` when featured, `comment_changed` when one stops being featured,
  and `reader_decided` for a warning, a suspension, a ban or its lifting (not for
  pre-moderation or notes, which stay among moderators).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import signals
from ..models import (
    Comment,
    Commenter,
    CommenterStatus,
    CommentStatus,
    Conversation,
    HeldReason,
    ModerationAction,
    ModerationDecision,
)
from ..permissions import may_close, may_moderate
from .errors import InvalidInput, NotAllowed
from .reports import reports_resolve
from .visibility import set_status

MAX_REASON = 1000
MAX_NOTE = 4000
MAX_SUSPENSION_DAYS = 365

# Why a comment was rejected, as the author is told. The moderator picks one and may
# add a sentence of their own.
REJECTION_REASONS: dict[str, Any] = {
    "spam": gettext_lazy("It is spam or advertising."),
    "abuse": gettext_lazy("It is abusive or offensive."),
    "harassment": gettext_lazy("It targets or harasses a person."),
    "hate": gettext_lazy("It attacks people for who they are."),
    "off_topic": gettext_lazy("It is off topic for this conversation."),
    "personal": gettext_lazy("It shares someone's personal information."),
    "other": gettext_lazy("It breaks the community guidelines."),
}


def rejection_reason_text(code: str, explanation: str = "") -> str:
    """The reason the author reads: the chosen reason, then the moderator's words."""
    if code not in REJECTION_REASONS:
        raise InvalidInput(_("Choose why the comment is rejected."), code="reason_unknown")
    explanation = (explanation or "").strip()
    if len(explanation) > MAX_REASON:
        raise InvalidInput(
            _("Keep the explanation under %(limit)d characters.") % {"limit": MAX_REASON},
            code="reason_too_long",
        )
    base = str(REJECTION_REASONS[code])
    return f"{base} {explanation}" if explanation else base


# -- helpers -------------------------------------------------------------------------------
def _require_moderator(actor: Any) -> None:
    if not may_moderate(actor):
        raise NotAllowed(_("Only moderators may do this."), code="not_moderator")


def _clean(text: str, limit: int, *, required: bool, what: str) -> str:
    text = (text or "").strip()
    if required and not text:
        raise InvalidInput(
            _("Write the %(what)s: the reader and other moderators will read it.") % {"what": what},
            code="text_missing",
        )
    if len(text) > limit:
        raise InvalidInput(
            _("Keep the %(what)s under %(limit)d characters.") % {"what": what, "limit": limit},
            code="text_too_long",
        )
    return text


def _locked(comment: Comment | int) -> Comment:
    pk = comment.pk if isinstance(comment, Comment) else comment
    try:
        return Comment.objects.select_for_update(of=("self",)).select_related("author").get(pk=pk)
    except Comment.DoesNotExist:
        raise InvalidInput(_("That comment no longer exists."), code="comment_missing") from None


def _comment_begin(actor: Any, comment: Comment | int, note: str) -> tuple[Comment, str]:
    """What every decision about a comment starts with: the actor may moderate, the
    note fits, the comment's row is locked."""
    _require_moderator(actor)
    note = _clean(note, MAX_NOTE, required=False, what=_("note"))
    return _locked(comment), note


def _log(
    *,
    actor: Any,
    action: str,
    comment: Comment | None = None,
    reader: Any = None,
    conversation: Conversation | None = None,
    reason: str = "",
    note: str = "",
) -> ModerationDecision:
    if comment is not None:
        conversation = conversation or comment.conversation
        if reader is None and comment.author is not None:
            reader = comment.author.user
    return ModerationDecision.objects.create(
        actor=actor,
        action=action,
        comment=comment,
        reader=reader,
        conversation=conversation,
        reason=reason,
        note=note,
    )


# -- comments ------------------------------------------------------------------------------
@transaction.atomic
def comment_approve(*, actor: Any, comment: Comment | int, note: str = "") -> ModerationDecision:
    """Publish a held or hidden comment, or keep a reported one and close its reports.

    A rejected comment may be approved too (a moderator changing their mind).
    """
    comment, note = _comment_begin(actor, comment, note)
    if comment.status == CommentStatus.DELETED:
        raise InvalidInput(
            _("Its author deleted this comment; there is nothing to approve."),
            code="comment_deleted",
        )
    was = comment.status
    if was == CommentStatus.PUBLISHED and not comment.report_count:
        raise InvalidInput(
            _("This comment is already published and nobody reported it."),
            code="already_published",
        )
    reports_resolve(comment=comment)
    comment.report_count = 0
    if was != CommentStatus.PUBLISHED:
        if comment.rejection_reason:
            comment.rejection_reason = ""
            comment.save(update_fields=["rejection_reason"])
        set_status(comment, CommentStatus.PUBLISHED, held_reason=HeldReason.NONE)
    decision = _log(actor=actor, action=ModerationAction.APPROVE, comment=comment, note=note)
    if was != CommentStatus.PUBLISHED:
        signals.send_on_commit(signals.comment_decided, Comment, comment=comment, decision=decision)
    return decision


@transaction.atomic
def comment_reject(
    *,
    actor: Any,
    comment: Comment | int,
    reason: str,
    explanation: str = "",
    note: str = "",
) -> ModerationDecision:
    """Take a comment down, telling its author why (`reason` is a REJECTION_REASONS key).

    Its reports are closed; replies to it stay where they are (the thread keeps its
    shape, as with a tombstone).
    """
    _require_moderator(actor)
    text = rejection_reason_text(reason, explanation)
    comment, note = _comment_begin(actor, comment, note)
    if comment.status == CommentStatus.DELETED:
        raise InvalidInput(
            _("Its author deleted this comment; there is nothing to reject."),
            code="comment_deleted",
        )
    if comment.status == CommentStatus.REJECTED:
        raise InvalidInput(_("This comment is already rejected."), code="already_rejected")
    reports_resolve(comment=comment)
    comment.report_count = 0
    comment.rejection_reason = text
    comment.save(update_fields=["rejection_reason"])
    set_status(comment, CommentStatus.REJECTED, held_reason=comment.held_reason)
    decision = _log(
        actor=actor, action=ModerationAction.REJECT, comment=comment, reason=text, note=note
    )
    signals.send_on_commit(signals.comment_decided, Comment, comment=comment, decision=decision)
    return decision


@transaction.atomic
def comment_feature(*, actor: Any, comment: Comment | int, note: str = "") -> ModerationDecision:
    """Pick a published comment for the Featured tab."""
    comment, note = _comment_begin(actor, comment, note)
    if comment.status != CommentStatus.PUBLISHED:
        raise InvalidInput(
            _("Only a published comment can be featured."), code="feature_unpublished"
        )
    if comment.featured_at is not None:
        raise InvalidInput(_("This comment is already featured."), code="already_featured")
    comment.featured_at = timezone.now()
    comment.save(update_fields=["featured_at"])
    decision = _log(actor=actor, action=ModerationAction.FEATURE, comment=comment, note=note)
    signals.send_on_commit(signals.comment_featured, Comment, comment=comment, actor=actor)
    return decision


@transaction.atomic
def comment_unfeature(*, actor: Any, comment: Comment | int, note: str = "") -> ModerationDecision:
    comment, note = _comment_begin(actor, comment, note)
    if comment.featured_at is None:
        raise InvalidInput(_("This comment is not featured."), code="not_featured")
    comment.featured_at = None
    comment.save(update_fields=["featured_at"])
    decision = _log(actor=actor, action=ModerationAction.UNFEATURE, comment=comment, note=note)
    signals.send_on_commit(signals.comment_changed, Comment, comment=comment)
    return decision


@dataclass
class BulkResult:
    decided: list[ModerationDecision] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (comment id, why)


# Every decision about a comment, by the name the admin's forms post: the queue's row
# buttons, its bulk form and the comment's own page all go through `comment_decide`.
COMMENT_ACTIONS: dict[str, Callable[..., ModerationDecision]] = {
    "approve": lambda *, reason, explanation, **kw: comment_approve(**kw),
    "reject": lambda **kw: comment_reject(**kw),
    "feature": lambda *, reason, explanation, **kw: comment_feature(**kw),
    "unfeature": lambda *, reason, explanation, **kw: comment_unfeature(**kw),
}
BULK_ACTIONS = tuple(COMMENT_ACTIONS)
MAX_BULK = 200


def comment_decide(
    *,
    actor: Any,
    action: str,
    comment: Comment | int,
    reason: str = "",
    explanation: str = "",
    note: str = "",
) -> ModerationDecision:
    """The decision named `action` (a COMMENT_ACTIONS key) about one comment; `reason`
    and `explanation` matter only for a rejection."""
    run = COMMENT_ACTIONS.get(action)
    if run is None:
        raise InvalidInput(_("Choose what to do with the comment."), code="action_unknown")
    return run(actor=actor, comment=comment, reason=reason, explanation=explanation, note=note)


def comments_decide(
    *,
    actor: Any,
    action: str,
    comment_ids: list[int],
    reason: str = "",
    explanation: str = "",
) -> BulkResult:
    """One decision applied to many comments, each in its own transaction: a comment
    that no longer fits (deleted or decided meanwhile) is skipped with the reason."""
    _require_moderator(actor)
    if action not in BULK_ACTIONS:
        raise InvalidInput(_("Choose what to do with the comments."), code="action_unknown")
    if action == "reject":
        rejection_reason_text(reason, explanation)  # refuse a bad reason before anything
    ids = list(dict.fromkeys(comment_ids))
    if not ids:
        raise InvalidInput(_("Select at least one comment."), code="nothing_selected")
    if len(ids) > MAX_BULK:
        raise InvalidInput(
            _("Select at most %(limit)d comments at a time.") % {"limit": MAX_BULK},
            code="too_many",
        )
    result = BulkResult()
    for pk in ids:
        try:
            decision = comment_decide(
                actor=actor, action=action, comment=pk, reason=reason, explanation=explanation
            )
        except InvalidInput as refusal:
            result.skipped.append((pk, refusal.message))
        else:
            result.decided.append(decision)
    return result


# -- readers -------------------------------------------------------------------------------
def _locked_commenter(user: Any) -> Commenter:
    user_id = user.pk if hasattr(user, "pk") else user
    try:
        return (
            Commenter.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(user_id=user_id)
        )
    except Commenter.DoesNotExist:
        raise InvalidInput(
            _("This reader has never commented, so there is nothing to moderate."),
            code="not_a_commenter",
        ) from None


def _reader_begin(
    actor: Any, user: Any, *, note: str, reason: str | None = None
) -> tuple[Commenter, str, str]:
    """What every decision about a reader starts with: the actor may moderate, the
    reason (when the reader is told one: required) and the note fit, the row is locked.
    Returns (commenter, reason, note)."""
    _require_moderator(actor)
    if reason is not None:
        reason = _clean(reason, MAX_REASON, required=True, what=_("reason"))
    note = _clean(note, MAX_NOTE, required=False, what=_("note"))
    return _locked_commenter(user), reason or "", note


def _reader_log(
    commenter: Commenter, *, actor: Any, action: str, reason: str = "", note: str = ""
) -> ModerationDecision:
    return _log(actor=actor, action=action, reader=commenter.user, reason=reason, note=note)


def _tell_reader(commenter: Commenter, decision: ModerationDecision) -> None:
    signals.send_on_commit(
        signals.reader_decided, get_user_model(), user=commenter.user, decision=decision
    )


@transaction.atomic
def reader_warn(*, actor: Any, user: Any, reason: str, note: str = "") -> ModerationDecision:
    """A warning the reader is told about; their account keeps commenting."""
    commenter, reason, note = _reader_begin(actor, user, reason=reason, note=note)
    decision = _reader_log(
        commenter, actor=actor, action=ModerationAction.WARN, reason=reason, note=note
    )
    _tell_reader(commenter, decision)
    return decision


@transaction.atomic
def reader_suspend(
    *, actor: Any, user: Any, days: int, reason: str, note: str = ""
) -> ModerationDecision:
    """No commenting, liking or reporting for `days` days (1 to 365), from now."""
    _require_moderator(actor)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_SUSPENSION_DAYS:
        raise InvalidInput(
            _("Suspend for 1 to %(limit)d days.") % {"limit": MAX_SUSPENSION_DAYS},
            code="days_out_of_range",
        )
    commenter, reason, note = _reader_begin(actor, user, reason=reason, note=note)
    if commenter.status == CommenterStatus.BANNED:
        raise InvalidInput(
            _("This reader is banned; lift the ban before suspending them."),
            code="already_banned",
        )
    commenter.status = CommenterStatus.SUSPENDED
    commenter.suspended_until = timezone.now() + dt.timedelta(days=days)
    commenter.save(update_fields=["status", "suspended_until"])
    decision = _reader_log(
        commenter, actor=actor, action=ModerationAction.SUSPEND, reason=reason, note=note
    )
    _tell_reader(commenter, decision)
    return decision


@transaction.atomic
def reader_ban(
    *, actor: Any, user: Any, reason: str, note: str = "", reject_pending: bool = False
) -> ModerationDecision:
    """No commenting until a moderator lifts the ban. With `reject_pending`, their
    comments waiting for a moderator are rejected too (one decision each)."""
    commenter, reason, note = _reader_begin(actor, user, reason=reason, note=note)
    if commenter.status == CommenterStatus.BANNED:
        raise InvalidInput(_("This reader is already banned."), code="already_banned")
    commenter.status = CommenterStatus.BANNED
    commenter.suspended_until = None
    commenter.save(update_fields=["status", "suspended_until"])
    decision = _reader_log(
        commenter, actor=actor, action=ModerationAction.BAN, reason=reason, note=note
    )
    if reject_pending:
        for pk in Comment.objects.filter(
            author=commenter, status=CommentStatus.PENDING
        ).values_list("pk", flat=True):
            comment_reject(actor=actor, comment=pk, reason="other", note=_("Rejected with a ban."))
    _tell_reader(commenter, decision)
    return decision


@transaction.atomic
def reader_unban(*, actor: Any, user: Any, note: str = "") -> ModerationDecision:
    """Lift a ban or a suspension."""
    commenter, _reason, note = _reader_begin(actor, user, note=note)
    if commenter.status == CommenterStatus.ACTIVE:
        raise InvalidInput(_("This reader is neither banned nor suspended."), code="not_restricted")
    commenter.status = CommenterStatus.ACTIVE
    commenter.suspended_until = None
    commenter.save(update_fields=["status", "suspended_until"])
    decision = _reader_log(commenter, actor=actor, action=ModerationAction.UNBAN, note=note)
    _tell_reader(commenter, decision)
    return decision


@transaction.atomic
def reader_premoderate(*, actor: Any, user: Any, on: bool, note: str = "") -> ModerationDecision:
    """Hold every comment of this reader for a moderator (`on`), or stop holding them."""
    commenter, _reason, note = _reader_begin(actor, user, note=note)
    if commenter.always_premoderate == on:
        raise InvalidInput(
            _("This reader's comments are already held for a moderator.")
            if on
            else _("This reader's comments are not held."),
            code="premoderate_unchanged",
        )
    commenter.always_premoderate = on
    commenter.save(update_fields=["always_premoderate"])
    action = ModerationAction.PREMODERATE if on else ModerationAction.UNPREMODERATE
    return _reader_log(commenter, actor=actor, action=action, note=note)


@transaction.atomic
def reader_note(*, actor: Any, user: Any, notes: str) -> ModerationDecision:
    """Replace the moderators' standing notes about a reader; the log keeps each text."""
    _require_moderator(actor)
    notes = _clean(notes, MAX_NOTE, required=False, what=_("notes"))
    commenter = _locked_commenter(user)
    if notes == commenter.moderator_notes:
        raise InvalidInput(_("The notes are unchanged."), code="notes_unchanged")
    commenter.moderator_notes = notes
    commenter.save(update_fields=["moderator_notes"])
    return _reader_log(commenter, actor=actor, action=ModerationAction.NOTE, note=notes)


# Every decision about a reader, by the name the reader's admin page posts; those in
# READER_ACTIONS_TOLD_WHY need the reason the reader is told.
READER_ACTIONS: dict[str, Callable[..., ModerationDecision]] = {
    "warn": lambda *, actor, user, reason, note, **_kw: reader_warn(
        actor=actor, user=user, reason=reason, note=note
    ),
    "suspend": lambda *, actor, user, reason, note, days, **_kw: reader_suspend(
        actor=actor, user=user, days=days, reason=reason, note=note
    ),
    "ban": lambda *, actor, user, reason, note, reject_pending, **_kw: reader_ban(
        actor=actor, user=user, reason=reason, note=note, reject_pending=reject_pending
    ),
    "unban": lambda *, actor, user, note, **_kw: reader_unban(actor=actor, user=user, note=note),
    "premoderate": lambda *, actor, user, note, **_kw: reader_premoderate(
        actor=actor, user=user, on=True, note=note
    ),
    "unpremoderate": lambda *, actor, user, note, **_kw: reader_premoderate(
        actor=actor, user=user, on=False, note=note
    ),
    "notes": lambda *, actor, user, notes, **_kw: reader_note(actor=actor, user=user, notes=notes),
}
READER_ACTIONS_TOLD_WHY = ("warn", "suspend", "ban")


def reader_decide(
    *,
    actor: Any,
    user: Any,
    action: str,
    reason: str = "",
    note: str = "",
    days: int | None = None,
    reject_pending: bool = False,
    notes: str = "",
) -> ModerationDecision:
    """The decision named `action` (a READER_ACTIONS key) about a reader; each action
    reads only the arguments it needs."""
    run = READER_ACTIONS.get(action)
    if run is None:
        raise InvalidInput(_("Choose what to do about the reader."), code="action_unknown")
    return run(
        actor=actor,
        user=user,
        reason=reason,
        note=note,
        days=days,
        reject_pending=reject_pending,
        notes=notes,
    )


# -- conversations -------------------------------------------------------------------------
@transaction.atomic
def conversation_set_closed(
    *, actor: Any, page: Any, closed: bool, note: str = ""
) -> ModerationDecision:
    """Close comments on an article (none can be posted; the published stay) or reopen
    them. Reopening does not override the "close after N days" rule."""
    if not may_close(actor, page):
        raise NotAllowed(
            _("Only moderators and the article's editors may open or close its comments."),
            code="not_allowed_to_close",
        )
    note = _clean(note, MAX_NOTE, required=False, what=_("note"))
    conversation, _created = Conversation.objects.select_for_update().get_or_create(page=page)
    if conversation.closed == closed:
        raise InvalidInput(
            _("Comments on this article are already closed.")
            if closed
            else _("Comments on this article are already open."),
            code="closed_unchanged",
        )
    conversation.closed = closed
    conversation.save(update_fields=["closed", "updated_at"])
    action = ModerationAction.CLOSE if closed else ModerationAction.OPEN
    return _log(actor=actor, action=action, conversation=conversation, note=note)
