"""Reads about a reader's notifications: the unread count, the list, and each one's wording.

Contract: selectors never write. The list is paged by keyset (newest first, by id),
never OFFSET, in a fixed number of queries per page. `describe` is the one place a
notification's wording is built, for the page and for the emails alike.

Invariants:
- A notification about a comment shows its text (an excerpt) and links to it only while
  the comment is published, or when it is the reader's own comment (a moderation
  decision about it); a comment removed since then is named as no longer available.
- Names are display names only (the public face), never a reader's legal name; a reader
  who has gone (erased) is "a former reader".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from .models import Comment, CommentStatus, Notification, NotificationKind

LIST_PAGE = 30
EXCERPT_CHARS = 280
# The header shows at most this many ("99+" beyond).
UNREAD_CAP = 99
UNREAD_KEY = "community:unread:v1:"
UNREAD_SECONDS = 60


def unread_count(user: Any) -> int:
    """Unread notifications of `user`, counted up to UNREAD_CAP + 1 (one query), kept in
    the cache for the header of every page: the services that make notifications or
    mark them read drop it (`services.notifications.unread_changed`), and it lives
    `UNREAD_SECONDS` at most."""
    if user is None or not user.is_authenticated:
        return 0
    key = f"{UNREAD_KEY}{user.pk}"
    found = cache.get(key)
    if found is None:
        found = (
            Notification.objects.filter(recipient=user, read_at__isnull=True)
            .values("pk")[: UNREAD_CAP + 1]
            .count()
        )
        cache.set(key, found, UNREAD_SECONDS)
    return int(found)


def unread_label(count: int) -> str:
    return f"{UNREAD_CAP}+" if count > UNREAD_CAP else str(count)


def comment_path(comment: Comment) -> str:
    """Where a comment is shown: its permalink (community-web's), else its page's anchor."""
    try:
        return reverse("community:comment", args=[comment.pk])
    except NoReverseMatch:
        page = comment.conversation.page
        return f"{page.url or '/'}#comment-{comment.pk}"


@dataclass(frozen=True)
class NotificationView:
    """A notification as the reader reads it (the page and the emails)."""

    notification: Notification
    text: str
    excerpt: str
    path: str  # "" when there is nothing to open

    @property
    def pk(self) -> int:
        return self.notification.pk

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None

    @property
    def created(self) -> dt.datetime:
        return self.notification.created


def _actor_name(notification: Notification) -> str:
    actor = notification.actor
    commenter = getattr(actor, "commenter", None) if actor is not None else None
    return commenter.display_name if commenter is not None else _("A former reader")


def _comment_is_shown(notification: Notification) -> bool:
    comment = notification.comment
    if comment is None:
        return False
    if notification.kind == NotificationKind.MODERATION:
        return comment.status != CommentStatus.DELETED  # the reader's own words
    return comment.status == CommentStatus.PUBLISHED


_MODERATION_TEXTS = {
    "approve": lambda title, reason: (
        _("Your comment on “%(title)s” was approved and is now published.") % {"title": title}
    ),
    "reject": lambda title, reason: (
        _("Your comment on “%(title)s” was rejected by a moderator. The reason: %(reason)s")
        % {"title": title, "reason": reason}
        if reason
        else _("Your comment on “%(title)s” was rejected by a moderator.") % {"title": title}
    ),
    "warn": lambda title, reason: (
        _("A moderator sent you a warning about your comments: %(reason)s") % {"reason": reason}
        if reason
        else _("A moderator sent you a warning about your comments.")
    ),
    "suspend": lambda title, reason: (
        _("A moderator suspended your commenting for a while. The reason: %(reason)s")
        % {"reason": reason}
        if reason
        else _("A moderator suspended your commenting for a while.")
    ),
    "ban": lambda title, reason: (
        _("A moderator stopped you from commenting. The reason: %(reason)s") % {"reason": reason}
        if reason
        else _("A moderator stopped you from commenting.")
    ),
    "unban": lambda title, reason: _("You can comment again: a moderator lifted your suspension."),
}


def _text(notification: Notification, title: str) -> str:
    name = _actor_name(notification)
    kind = notification.kind
    if kind == NotificationKind.REPLY:
        return _("%(name)s replied to your comment on “%(title)s”.") % {
            "name": name,
            "title": title,
        }
    if kind == NotificationKind.MENTION:
        return _("%(name)s mentioned you in a comment on “%(title)s”.") % {
            "name": name,
            "title": title,
        }
    if kind == NotificationKind.FOLLOWED_COMMENT:
        return _("%(name)s, whom you follow, commented on “%(title)s”.") % {
            "name": name,
            "title": title,
        }
    if kind == NotificationKind.THREAD_REPLY:
        return _("%(name)s replied in a conversation you follow, on “%(title)s”.") % {
            "name": name,
            "title": title,
        }
    if kind == NotificationKind.FEATURED:
        return _("Your comment on “%(title)s” was featured by the editors.") % {"title": title}
    wording = _MODERATION_TEXTS.get(notification.action)
    if wording is not None:
        return wording(title, notification.detail)
    return _("A moderator made a decision about your comments.")


def describe(notification: Notification) -> NotificationView:
    """The wording, excerpt and link of one notification (rows loaded by the caller)."""
    comment = notification.comment
    shown = _comment_is_shown(notification)
    title = ""
    if comment is not None:
        title = comment.conversation.page.title
    text = _text(notification, title or _("an article"))
    excerpt = ""
    path = ""
    if shown and comment is not None:
        excerpt = Truncator(" ".join(comment.body.split())).chars(EXCERPT_CHARS)
        if comment.status == CommentStatus.PUBLISHED:
            path = comment_path(comment)
    elif comment is not None and notification.kind != NotificationKind.MODERATION:
        text = _("%(text)s That comment is no longer available.") % {"text": text}
    return NotificationView(notification=notification, text=text, excerpt=excerpt, path=path)


def with_rows(queryset: Any) -> Any:
    return queryset.select_related(
        "actor__commenter", "comment__conversation__page", "comment__author"
    )


@dataclass(frozen=True)
class NotificationPage:
    items: list[NotificationView]
    next_before: int | None  # the id to ask for the next page with, or None
    unread: int


def notifications_page(user: Any, *, before: int | None = None) -> NotificationPage:
    """One page of `user`'s notifications, newest first (keyset on id)."""
    rows = with_rows(Notification.objects.filter(recipient=user)).order_by("-id")
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows[: LIST_PAGE + 1])
    more = len(page) > LIST_PAGE
    page = page[:LIST_PAGE]
    return NotificationPage(
        items=[describe(n) for n in page],
        next_before=page[-1].pk if more and page else None,
        unread=unread_count(user),
    )
