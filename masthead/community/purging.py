"""Telling shared caches (a CDN) to drop a conversation's anonymous first page.

Invariant: the conversation's anonymous pages are shared-cacheable for a few seconds
(views.ANONYMOUS_SHARED_MAX_AGE); whenever what they show changes (a comment published,
edited, deleted, hidden, featured or decided on), the first page (fragment and page of
its own, every sort and the Featured tab) is purged through the purge the article pages
use (access.api.purge_later, after the transaction commits; nothing is sent when no
CDN_PURGE_URL is set). Deeper pages, and the comment counts on listing cards, age out
within their short lifetimes. A receiver never raises (signals are sent robustly).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from masthead.access.api import purge_later

from . import signals
from .models import Comment

logger = logging.getLogger("masthead.community")

FIRST_PAGE_QUERIES = ["", "?" + urlencode({"sort": "oldest"}), "?" + urlencode({"sort": "liked"})]
FIRST_PAGE_QUERIES.append("?" + urlencode({"tab": "featured"}))


def conversation_urls(page: Any) -> list[str]:
    """The absolute addresses of a page's conversation's first pages."""
    site = page.get_site()
    root = site.root_url if site is not None else ""
    urls = []
    for name in ("community:conversation", "community:conversation-fragment"):
        base = root + reverse(name, args=[page.pk])
        urls += [base + query for query in FIRST_PAGE_QUERIES]
    return urls


def purge_conversation(sender: Any, comment: Comment, **kwargs: Any) -> None:
    try:
        purge_later(conversation_urls(comment.conversation.page))
    except Exception:
        logger.warning("could not purge the conversation of comment %s", comment.pk, exc_info=True)


def connect() -> None:
    """Called once from the app's ready()."""
    for signal in (
        signals.comment_published,
        signals.comment_changed,
        signals.comment_featured,
        signals.comment_decided,
    ):
        signal.connect(purge_conversation, dispatch_uid=f"community-purge-{id(signal)}")
