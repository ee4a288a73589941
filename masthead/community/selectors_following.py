"""Reads about following and muting, for the conversation, profiles and the Following feed.

Contract: selectors never write. Each answers in a fixed number of queries whatever the
number of comments or readers asked about (the conversation asks once per page).

Invariants:
- Counts shown on a profile count only active accounts, so a removed or deactivated
  reader stops counting at once.
- The Following feed lists only published comments on live pages, by readers the viewer
  follows and does not mute, by active accounts, on pages anyone may see, newest first,
  paged by keyset (created, id), never OFFSET.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .models import Comment, CommentStatus, Follow, Mute, ThreadFollow
from .selectors import CommentList, keyset_page, visible_pages

FEED_PAGE = 20


@dataclass(frozen=True)
class Relations:
    """What the viewer has chosen about some readers: whom they follow, whom they mute."""

    following: frozenset[int] = field(default_factory=frozenset)
    muted: frozenset[int] = field(default_factory=frozenset)


def relations_for(viewer: Any, user_ids: Iterable[int]) -> Relations:
    """The viewer's follows and mutes among `user_ids` (two queries; none when signed out)."""
    ids = {i for i in user_ids if i is not None}
    if viewer is None or not viewer.is_authenticated or not ids:
        return Relations()
    return Relations(
        following=frozenset(
            Follow.objects.filter(follower=viewer, followee_id__in=ids).values_list(
                "followee_id", flat=True
            )
        ),
        muted=frozenset(
            Mute.objects.filter(muter=viewer, muted_id__in=ids).values_list("muted_id", flat=True)
        ),
    )


def muted_ids(viewer: Any) -> frozenset[int]:
    """Every reader the viewer mutes (for collapsing their comments on any page)."""
    if viewer is None or not viewer.is_authenticated:
        return frozenset()
    return frozenset(Mute.objects.filter(muter=viewer).values_list("muted_id", flat=True))


@dataclass(frozen=True)
class FollowCounts:
    followers: int
    following: int


def follow_counts(user: Any) -> FollowCounts:
    """How many active readers follow `user`, and how many `user` follows."""
    return FollowCounts(
        followers=Follow.objects.filter(followee=user, follower__is_active=True).count(),
        following=Follow.objects.filter(follower=user, followee__is_active=True).count(),
    )


def is_following(viewer: Any, other: Any) -> bool:
    if viewer is None or not viewer.is_authenticated or other is None:
        return False
    return Follow.objects.filter(follower=viewer, followee=other).exists()


def followed_thread_ids(viewer: Any, root_ids: Iterable[int]) -> frozenset[int]:
    """Which of these threads (by top comment id) the viewer follows (one query)."""
    ids = {i for i in root_ids if i is not None}
    if viewer is None or not viewer.is_authenticated or not ids:
        return frozenset()
    return frozenset(
        ThreadFollow.objects.filter(user=viewer, root_id__in=ids).values_list("root_id", flat=True)
    )


def following_feed(
    viewer: Any, *, cursor: str | None = None, limit: int = FEED_PAGE
) -> CommentList:
    """New comments and replies by the readers `viewer` follows, newest first.

    Leaves out readers the viewer mutes, deactivated accounts, and comments on pages
    anyone may not see (unpublished or view-restricted). `cursor` is the keyset of
    `CommentList.next_cursor`; a damaged one raises InvalidInput.
    """
    if viewer is None or not viewer.is_authenticated:
        return CommentList(comments=[], next_cursor=None)
    followees = Follow.objects.filter(follower=viewer).values("followee_id")
    muted = Mute.objects.filter(muter=viewer).values("muted_id")
    comments = (
        Comment.objects.filter(
            status=CommentStatus.PUBLISHED,
            author__user_id__in=followees,
            author__user__is_active=True,
            conversation__page__in=visible_pages(),
        )
        .exclude(author__user_id__in=muted)
        .select_related("author", "conversation__page", "parent__author")
    )
    rows, next_cursor = keyset_page(comments, "newest", cursor, limit)
    return CommentList(comments=rows, next_cursor=next_cursor)
