"""Following readers and conversations, and muting readers: every write of models/following.

Contract: each service is keyword-only, runs in one transaction, and either returns
whether it changed anything (so repeating a request is harmless: following twice keeps
one row) or raises a `CommunityError` whose message the view shows as is.

Invariants:
- Nobody follows or mutes themselves (refused here with a message; the database's check
  constraints are the last word).
- Only a reader with a public face (a Commenter who is not banned) can be followed or
  muted: there is nothing to follow otherwise, and a reader without a display name
  must not be found through follows.
- A followed conversation is named by its top comment, whichever comment of the thread
  the reader followed it from; a thread is followable only when its top comment is
  visible (published, or a tombstone whose replies live on) or is the reader's own.
- A reader follows at most FOLLOW_LIMIT readers and threads each, and mutes at most
  MUTE_LIMIT: follows fan notifications out, so they are bounded.
- Following, unfollowing, muting and unmuting readers are rate-limited together
  (ratelimit kind "follow", RateLimited saying when to try again); only a call that
  would change something counts, so repeating a request is never refused.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..config import community_settings
from ..models import (
    Comment,
    Commenter,
    CommenterStatus,
    CommentStatus,
    Follow,
    Mute,
    ThreadFollow,
)
from . import ratelimit
from .errors import InvalidInput, NotAllowed

FOLLOW_LIMIT = 1000
MUTE_LIMIT = 1000
# A thread whose top comment has one of these statuses can be followed by anyone.
_FOLLOWABLE_ROOT = (CommentStatus.PUBLISHED, CommentStatus.DELETED)


def _must_be_active(user: Any) -> None:
    if user is None or not user.is_authenticated or not user.is_active:
        raise NotAllowed(_("Sign in to follow readers and conversations."), code="signed_out")


def _public_reader(other: Any) -> Commenter:
    commenter = Commenter.objects.filter(user=other).first() if other is not None else None
    if commenter is None or commenter.status == CommenterStatus.BANNED or not other.is_active:
        raise NotAllowed(_("This reader's profile is not available."), code="no_profile")
    return commenter


def _count_against_limit(user: Any) -> None:
    ratelimit.hit("follow", user.pk, community_settings())


def _create_once(model: type, **fields: Any) -> bool:
    """Create the row unless it exists; True when this call created it (races included)."""
    try:
        with transaction.atomic():
            _row, created = model.objects.get_or_create(**fields)
    except IntegrityError:  # a concurrent request created it between the get and the insert
        return False
    return created


def follow(*, follower: Any, followee: Any) -> bool:
    """`follower` follows `followee`; True when newly followed."""
    _must_be_active(follower)
    if follower.pk == getattr(followee, "pk", None):
        raise InvalidInput(_("You can't follow yourself."), code="self")
    _public_reader(followee)
    if Follow.objects.filter(follower=follower, followee=followee).exists():
        return False
    if Follow.objects.filter(follower=follower).count() >= FOLLOW_LIMIT:
        raise InvalidInput(
            _("You already follow %(limit)s readers, the most we allow. Unfollow someone first.")
            % {"limit": f"{FOLLOW_LIMIT:,}"},
            code="follow_limit",
        )
    _count_against_limit(follower)
    return _create_once(Follow, follower=follower, followee=followee)


def unfollow(*, follower: Any, followee: Any) -> bool:
    """Stop following; True when a follow was removed."""
    _must_be_active(follower)
    rows = Follow.objects.filter(follower=follower, followee=followee)
    if not rows.exists():
        return False
    _count_against_limit(follower)
    return bool(rows.delete()[0])


def mute(*, muter: Any, muted: Any) -> bool:
    """`muter` mutes `muted`: their comments collapse for `muter`, and they never notify
    `muter`. True when newly muted."""
    _must_be_active(muter)
    if muter.pk == getattr(muted, "pk", None):
        raise InvalidInput(_("You can't mute yourself."), code="self")
    _public_reader(muted)
    if Mute.objects.filter(muter=muter, muted=muted).exists():
        return False
    if Mute.objects.filter(muter=muter).count() >= MUTE_LIMIT:
        raise InvalidInput(
            _("You already mute %(limit)s readers, the most we allow. Unmute someone first.")
            % {"limit": f"{MUTE_LIMIT:,}"},
            code="mute_limit",
        )
    _count_against_limit(muter)
    return _create_once(Mute, muter=muter, muted=muted)


def unmute(*, muter: Any, muted: Any) -> bool:
    """Unmute; True when a mute was removed."""
    _must_be_active(muter)
    rows = Mute.objects.filter(muter=muter, muted=muted)
    if not rows.exists():
        return False
    _count_against_limit(muter)
    return bool(rows.delete()[0])


def _thread_root(comment: Comment) -> Comment:
    if comment.root_id is None:
        return comment
    return Comment.objects.select_related("author").get(pk=comment.root_id)


def thread_follow(*, user: Any, comment: Comment) -> bool:
    """Follow the conversation (thread) `comment` belongs to; True when newly followed."""
    _must_be_active(user)
    root = _thread_root(comment)
    own = root.author is not None and root.author.user_id == user.pk
    if root.status not in _FOLLOWABLE_ROOT and not own:
        raise NotAllowed(_("This conversation can't be followed."), code="not_visible")
    if ThreadFollow.objects.filter(user=user, root=root).exists():
        return False
    if ThreadFollow.objects.filter(user=user).count() >= FOLLOW_LIMIT:
        raise InvalidInput(
            _(
                "You already follow %(limit)s conversations, the most we allow. "
                "Stop following one first."
            )
            % {"limit": f"{FOLLOW_LIMIT:,}"},
            code="follow_limit",
        )
    return _create_once(ThreadFollow, user=user, root=root)


def thread_unfollow(*, user: Any, comment: Comment) -> bool:
    """Stop following the conversation `comment` belongs to; True when one was removed."""
    _must_be_active(user)
    root_id = comment.root_id or comment.pk
    return bool(ThreadFollow.objects.filter(user=user, root_id=root_id).delete()[0])
