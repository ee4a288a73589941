"""Moving a comment between states, keeping the denormalised counts true.

Contract: `set_status(comment, status, *, held_reason="")` saves the comment's new
status (and held reason) and, when it enters or leaves PUBLISHED, adjusts with F()
updates: the conversation's `published_count`, the parent's `reply_count`, and (entering
only) the author's `published_count` (the probation count: it never goes down). It sends
`comment_published` on commit when a comment becomes published, `comment_changed` when
a published comment leaves that state. Call it inside the caller's transaction; the
moderation decisions (approve, reject) use it too.
"""

from __future__ import annotations

from django.db.models import F

from .. import signals
from ..models import Comment, Commenter, CommentStatus, Conversation


def count_published(comment: Comment, delta: int) -> None:
    Conversation.objects.filter(pk=comment.conversation_id).update(
        published_count=F("published_count") + delta
    )
    if comment.parent_id:
        Comment.objects.filter(pk=comment.parent_id).update(reply_count=F("reply_count") + delta)
    if delta > 0 and comment.author_id:
        Commenter.objects.filter(pk=comment.author_id).update(
            published_count=F("published_count") + delta
        )


def set_status(comment: Comment, status: str, *, held_reason: str = "") -> None:
    was_published = comment.status == CommentStatus.PUBLISHED
    comment.status = status
    comment.held_reason = held_reason
    fields = ["status", "held_reason"]
    if status != CommentStatus.PUBLISHED and comment.featured_at is not None:
        comment.featured_at = None
        fields.append("featured_at")
    comment.save(update_fields=fields)
    now_published = status == CommentStatus.PUBLISHED
    if now_published and not was_published:
        count_published(comment, +1)
        signals.send_on_commit(signals.comment_published, Comment, comment=comment)
    elif was_published and not now_published:
        count_published(comment, -1)
        signals.send_on_commit(signals.comment_changed, Comment, comment=comment)
