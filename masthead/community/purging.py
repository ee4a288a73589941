"""Telling shared caches (a CDN) to drop what a comment's change makes stale.

Invariant: the anonymous pages that show comments are shared-cacheable for a short
time; whenever a comment is published, edited, deleted, hidden, featured or decided on,
every page whose first page shows it or its count is purged through the purge the
article pages use (access.api.purge_later, after the transaction commits; nothing is
worked out or sent when no CDN_PURGE_URL is set):
- the conversation's first pages (page and fragment, every sort, the Featured tab);
- the listing cards with the article's comment count: its sections and the front page
  (its ancestors), its authors' and tags' pages (their first pages);
- the thread's own pages: the permalink of every comment in the thread (each shows the
  whole thread, and "See more replies" leads there);
- the author's public profile (their history and comment count).
Deeper keyset pages (`?after=`) cannot be listed; they age out within their short
lifetimes. A receiver never raises (signals are sent robustly, and it catches).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from masthead.access.api import purge_later

from . import signals
from .models import Comment

logger = logging.getLogger("masthead.community")

FIRST_PAGE_QUERIES = ["", "?" + urlencode({"sort": "oldest"}), "?" + urlencode({"sort": "liked"})]
FIRST_PAGE_QUERIES.append("?" + urlencode({"tab": "featured"}))
# A thread's permalinks purged at most (as many as a permalink page shows, and its top).
THREAD_PURGE_LIMIT = 2001


def _root_url(page: Any) -> str:
    site = page.get_site()
    return site.root_url if site is not None else ""


def conversation_urls(page: Any) -> list[str]:
    """The absolute addresses of a page's conversation's first pages."""
    root = _root_url(page)
    urls = []
    for name in ("community:conversation", "community:conversation-fragment"):
        base = root + reverse(name, args=[page.pk])
        urls += [base + query for query in FIRST_PAGE_QUERIES]
    return urls


def listing_urls(page: Any) -> list[str]:
    """The listings whose cards show `page`'s comment count (their first pages)."""
    root = _root_url(page)
    urls = [ancestor.get_full_url() for ancestor in page.get_ancestors().filter(depth__gt=1)]
    specific = page.specific
    try:
        for author in getattr(specific, "authors", None) or []:
            urls.append(root + reverse("content:author", args=[author.slug]))
        tags = getattr(specific, "tags", None)
        for slug in tags.values_list("slug", flat=True) if tags is not None else []:
            urls.append(root + reverse("content:tag", args=[slug]))
    except NoReverseMatch:  # content's author and tag pages not mounted
        pass
    return [url for url in urls if url]


def thread_urls(comment: Comment, root: str) -> list[str]:
    """The permalinks of every comment in `comment`'s thread."""
    top = comment.root_id or comment.pk
    ids = Comment.objects.filter(Q(pk=top) | Q(root_id=top)).values_list("pk", flat=True)
    return [root + reverse("community:comment", args=[pk]) for pk in ids[:THREAD_PURGE_LIMIT]]


def profile_urls(comment: Comment, root: str) -> list[str]:
    if comment.author_id is None:  # an erased reader's comment has no profile
        return []
    return [root + reverse("community:reader", args=[comment.author_id])]


def urls_for(comment: Comment) -> list[str]:
    """Every address a change to `comment` makes stale."""
    page = comment.conversation.page
    root = _root_url(page)
    return [
        *conversation_urls(page),
        *listing_urls(page),
        *thread_urls(comment, root),
        *profile_urls(comment, root),
    ]


def purge_conversation(sender: Any, comment: Comment, **kwargs: Any) -> None:
    if not getattr(settings, "CDN_PURGE_URL", ""):
        return  # nothing would be sent: work nothing out
    try:
        purge_later(urls_for(comment))
    except Exception:
        logger.warning("could not purge the conversation of comment %s", comment.pk, exc_info=True)


def connect() -> None:
    """Called once from the app's ready()."""
    for signal in (
        signals.comment_published,
        signals.comment_changed,
        signals.comment_decided,
        signals.comment_featured,
    ):
        signal.connect(purge_conversation, dispatch_uid=f"community-purge-{id(signal)}")
