"""Likes: one per reader per comment, counted on the comment.

Contract:
- `comment_like(*, user, comment, now=None) -> int` likes `comment` (idempotent: a
  second like changes nothing) and returns its like count. Raises NotAllowed for a
  visitor, for the comment's own author ("cannot like your own") and for a comment that
  is not published, and for a suspended or banned reader; RateLimited past
  `reactions_per_minute`.
- `comment_unlike(*, user, comment, now=None) -> int` takes the like back (idempotent).
The unique constraint on (comment, user) decides races; `like_count` follows with F().
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ..config import community_settings
from ..models import Comment, CommentStatus, Like
from . import ratelimit
from .errors import NotAllowed
from .suspensions import refuse_if_barred


def _check(user: Any, comment: Comment) -> None:
    if user is None or not user.is_authenticated:
        raise NotAllowed(_("Sign in to like comments."), code="anonymous")
    if comment.status != CommentStatus.PUBLISHED:
        raise NotAllowed(_("This comment cannot be liked."), code="not_published")


def _count(comment: Comment) -> int:
    return Comment.objects.filter(pk=comment.pk).values_list("like_count", flat=True).get()


def comment_like(*, user: Any, comment: Comment, now: datetime | None = None) -> int:
    _check(user, comment)
    if comment.author is not None and comment.author.user_id == user.pk:
        raise NotAllowed(_("You cannot like your own comment."), code="own_comment")
    if Like.objects.filter(comment=comment, user=user).exists():
        return _count(comment)
    refuse_if_barred(user=user, action="like", now=now)
    ratelimit.hit("reaction", user.pk, community_settings(), now)
    try:
        with transaction.atomic():
            Like.objects.create(comment=comment, user=user)
            Comment.objects.filter(pk=comment.pk).update(like_count=F("like_count") + 1)
    except IntegrityError:
        pass  # the same reader's other tab liked it first
    return _count(comment)


def comment_unlike(*, user: Any, comment: Comment, now: datetime | None = None) -> int:
    if user is None or not user.is_authenticated:
        raise NotAllowed(_("Sign in to like comments."), code="anonymous")
    with transaction.atomic():
        removed, _detail = Like.objects.filter(comment=comment, user=user).delete()
        if removed:
            Comment.objects.filter(pk=comment.pk, like_count__gt=0).update(
                like_count=F("like_count") - 1
            )
    return _count(comment)
