"""Builders for the notification and following tests: commenters and comments as rows.

These write rows directly (as the posting service leaves them), so the notification
tests do not depend on the moderation pipeline; the end-to-end path through the
services is covered where the signals are sent.
"""

from __future__ import annotations

import itertools
from typing import Any

from masthead.community import receivers_notify  # noqa: F401  (connects the receivers)
from masthead.community.models import (
    MAX_NEST_DEPTH,
    Comment,
    Commenter,
    CommentStatus,
    Conversation,
)
from masthead.readers.tests.factories import ReaderFactory

_n = itertools.count(1)


def reader(**kwargs: Any) -> Any:
    kwargs.setdefault("verified", True)
    return ReaderFactory(**kwargs)


def commenter(user: Any = None, name: str | None = None, **fields: Any) -> Commenter:
    user = user or reader()
    name = name or f"Reader {next(_n)}"
    return Commenter.objects.create(
        user=user, display_name=name, display_name_key=name.casefold(), **fields
    )


def comment(
    author: Commenter,
    page: Any,
    *,
    parent: Comment | None = None,
    body: str = "",
    status: str = CommentStatus.PUBLISHED,
    mentions: list[Commenter] = (),  # type: ignore[assignment]
) -> Comment:
    conversation, _ = Conversation.objects.get_or_create(page=page)
    depth = 0 if parent is None else parent.depth + 1
    nest_parent = None
    if parent is not None:
        nest_parent = parent if parent.depth < MAX_NEST_DEPTH else parent.nest_parent
    row = Comment.objects.create(
        conversation=conversation,
        author=author,
        parent=parent,
        root=None if parent is None else (parent.root or parent),
        nest_parent=nest_parent,
        depth=depth,
        body=body or f"Comment text {next(_n)}",
        body_html="<p>text</p>",
        status=status,
    )
    if mentions:
        row.mentions.set(mentions)
    return row


def fresh(row: Any) -> Any:
    """A fresh copy of a row built once for the module (tests must not share objects)."""
    return type(row).objects.get(pk=row.pk)
