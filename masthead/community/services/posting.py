"""Posting, editing and deleting comments.

Contract (keyword-only; no HTTP: views pass what they know of the request):
- `comment_post(*, user, page, body, parent=None, reads_in_full, display_name=None,
  now=None) -> Comment`
  `reads_in_full` is the access decision for this reader and page (the view asks
  `masthead.access.api.article_access(request, page).full`). Refusals raise:
  NotAllowed (not signed in, no verified email, cannot read the article in full,
  replying to a comment that is not published or not on this page), InvalidInput
  (display name missing or breaking a rule; empty, too long, repeated, banned word),
  Closed (comments closed; reader suspended or banned), RateLimited (with retry_at).
  The first comment needs `display_name` (the reader's public name, which creates the
  Commenter); later it is ignored. Returns the saved comment, PUBLISHED or PENDING
  (`held_reason` says why). `comment_published` is sent on commit when published.
- `comment_edit(*, user, comment, body, now=None) -> Comment`: the author only, within
  `edit_window_minutes` of posting, not once deleted, rejected or hidden. The earlier
  text is kept as a CommentRevision; the new text runs the pipeline again (it may be
  refused, or held: a held edit takes a published comment back to PENDING).
- `comment_delete(*, user, comment) -> Comment`: the author only; leaves a tombstone
  (status DELETED, text emptied for readers, kept as a revision for moderators) so the
  replies keep their place.
- `can_edit(user, comment, config, now) -> bool` for templates (show the Edit button).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import signals
from ..closing import is_open
from ..config import community_settings
from ..models import (
    MAX_NEST_DEPTH,
    Comment,
    Commenter,
    CommentRevision,
    CommentStatus,
    Conversation,
)
from ..rendering import Mention, mention_candidates, render_body
from . import moderation_pipeline as pipeline
from . import ratelimit
from .errors import InvalidInput, NotAllowed
from .names import commenter_create, name_available
from .suspensions import suspension_end_if_over
from .visibility import count_published, set_status


def profile_url(commenter_id: int) -> str | None:
    """The reader's public profile (community-web's "community:reader" route)."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("community:reader", kwargs={"commenter_id": commenter_id})
    except NoReverseMatch:
        return None


def _render(body: str) -> tuple[str, list[Commenter]]:
    keys = mention_candidates(body)
    found = list(Commenter.objects.filter(display_name_key__in=keys)) if keys else []
    mentions = {c.display_name_key: Mention(c.display_name, profile_url(c.pk)) for c in found}
    html = render_body(body, mentions)
    # Only the readers actually linked (the longest name wins over its prefixes).
    linked = [c for c in found if f">@{_escaped(c.display_name)}<" in html]
    return str(html), linked


def _escaped(name: str) -> str:
    from django.utils.html import escape

    return escape(name)


def _require_reader(user: Any) -> None:
    if user is None or not user.is_authenticated:
        raise NotAllowed(_("Sign in to comment."), code="anonymous")
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        raise NotAllowed(
            _("Confirm your email address to comment: follow the link we emailed you."),
            code="unverified",
        )


def _recent_bodies(commenter: Commenter, config: Any, now: datetime) -> list[str]:
    if not config.repeat_window_minutes:
        return []
    since = now - timedelta(minutes=config.repeat_window_minutes)
    return list(
        Comment.objects.filter(author=commenter, created__gte=since)
        .exclude(status=CommentStatus.DELETED)
        .values_list("body", flat=True)[:20]
    )


def _thread_position(parent: Comment | None) -> dict[str, Any]:
    if parent is None:
        return {"parent": None, "root": None, "nest_parent": None, "depth": 0}
    nest_parent = parent if parent.depth <= MAX_NEST_DEPTH else parent.nest_parent
    return {
        "parent": parent,
        "root_id": parent.root_id or parent.pk,
        "nest_parent": nest_parent,
        "depth": parent.depth + 1,
    }


def comment_post(
    *,
    user: Any,
    page: Any,
    body: str,
    parent: Comment | None = None,
    reads_in_full: bool,
    display_name: str | None = None,
    now: datetime | None = None,
) -> Comment:
    now = now or timezone.now()
    _require_reader(user)
    if not reads_in_full:
        raise NotAllowed(
            _("Comments are open to readers who can read the whole article."),
            code="no_access",
        )
    config = community_settings(page)
    conversation = Conversation.objects.filter(page=page).first()
    if parent is not None and (
        conversation is None
        or parent.conversation_id != conversation.pk
        or parent.status != CommentStatus.PUBLISHED
    ):
        raise NotAllowed(
            _("That comment cannot be replied to any more."), code="parent_unavailable"
        )
    commenter = Commenter.objects.filter(user=user).first()
    if commenter is not None:
        suspension_end_if_over(commenter=commenter, now=now)  # the row agrees with the clock
    submission = pipeline.Submission(
        body=body or "",
        config=config,
        commenter=commenter or Commenter(user=user),
        is_staff=user.is_staff,
        conversation_open=is_open(page, conversation, config, now),
        now=now,
        recent_bodies=_recent_bodies(commenter, config, now) if commenter else [],
    )
    verdict = pipeline.run(submission)
    if commenter is None:
        if not display_name:
            raise InvalidInput(
                _("Choose a display name: it is shown with your comments."),
                code="name_required",
            )
        name_available(display_name)
    ratelimit.hit("comment", user.pk, config, now)
    html, linked = _render(submission.body)
    with transaction.atomic():
        if commenter is None:
            commenter = commenter_create(user=user, display_name=display_name or "")
        if conversation is None:
            conversation, _created = Conversation.objects.get_or_create(page=page)
        comment = Comment.objects.create(
            conversation=conversation,
            author=commenter,
            body=submission.body,
            body_html=html,
            status=CommentStatus.PENDING,
            held_reason=verdict.held_reason,
            created=now,
            **_thread_position(parent),
        )
        if linked:
            comment.mentions.set(linked)
        if verdict.published:
            set_status(comment, CommentStatus.PUBLISHED)
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=now)
    return comment


def can_edit(user: Any, comment: Comment, config: Any, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        user is not None
        and user.is_authenticated
        and comment.author is not None
        and comment.author.user_id == user.pk
        and comment.status in (CommentStatus.PUBLISHED, CommentStatus.PENDING)
        and bool(config.edit_window_minutes)
        and now <= comment.created + timedelta(minutes=config.edit_window_minutes)
    )


def _require_author(user: Any, comment: Comment) -> None:
    if (
        user is None
        or not user.is_authenticated
        or comment.author is None
        or comment.author.user_id != user.pk
    ):
        raise NotAllowed(_("Only its author can change this comment."), code="not_author")


def comment_edit(*, user: Any, comment: Comment, body: str, now: datetime | None = None) -> Comment:
    now = now or timezone.now()
    _require_author(user, comment)
    page = comment.conversation.page
    config = community_settings(page)
    if comment.status not in (CommentStatus.PUBLISHED, CommentStatus.PENDING):
        raise NotAllowed(_("This comment can no longer be edited."), code="not_editable")
    if not can_edit(user, comment, config, now):
        raise NotAllowed(
            _("Comments can be edited for %(minutes)d minutes after posting; that time is over.")
            % {"minutes": config.edit_window_minutes},
            code="edit_window",
        )
    submission = pipeline.Submission(
        body=body or "",
        config=config,
        commenter=comment.author,
        is_staff=user.is_staff,
        conversation_open=True,
        now=now,
        editing=True,
    )
    verdict = pipeline.run(submission)
    if submission.body == comment.body:
        return comment
    html, linked = _render(submission.body)
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment.pk)
        CommentRevision.objects.create(comment=comment, body=comment.body)
        comment.body = submission.body
        comment.body_html = html
        comment.edited_at = now
        comment.save(update_fields=["body", "body_html", "edited_at"])
        comment.mentions.set(linked)
        if comment.status == CommentStatus.PUBLISHED and not verdict.published:
            set_status(comment, CommentStatus.PENDING, held_reason=verdict.held_reason)
        elif comment.status == CommentStatus.PENDING and verdict.published:
            set_status(comment, CommentStatus.PUBLISHED)
        elif comment.status == CommentStatus.PUBLISHED:
            signals.send_on_commit(signals.comment_changed, Comment, comment=comment)
    return comment


def comment_delete(*, user: Any, comment: Comment) -> Comment:
    _require_author(user, comment)
    if comment.status == CommentStatus.DELETED:
        return comment
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment.pk)
        if comment.status == CommentStatus.DELETED:
            return comment
        CommentRevision.objects.create(comment=comment, body=comment.body)
        was_published = comment.status == CommentStatus.PUBLISHED
        comment.status = CommentStatus.DELETED
        comment.held_reason = ""
        comment.body = ""
        comment.body_html = ""
        comment.featured_at = None
        comment.save(update_fields=["status", "held_reason", "body", "body_html", "featured_at"])
        comment.mentions.clear()
        if was_published:
            count_published(comment, -1)
        signals.send_on_commit(signals.comment_changed, Comment, comment=comment)
    return comment
