"""What the moderation tests build: moderators, commenters and comments in a given state.

Comments are written directly (as the posting service would leave them, counters
included), so these tests do not depend on the posting pipeline.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import F
from django.utils import timezone

from masthead.community.models import (
    Comment,
    Commenter,
    CommentStatus,
    Conversation,
    HeldReason,
    Report,
    ReportReason,
)
from masthead.community.services.visibility import set_status
from masthead.readers.tests.factories import ReaderFactory


def moderators_group() -> Group:
    group, created = Group.objects.get_or_create(name="Comment moderators")
    if created:
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
            Permission.objects.get(
                content_type__app_label="community", codename="moderate_comments"
            ),
        )
    return group


def make_moderator(**kwargs: Any) -> Any:
    """Staff with admin access and the "moderate comments" permission, nothing else."""
    user = ReaderFactory(staff=True, **kwargs)
    user.groups.add(moderators_group())
    return user


def make_admin_editor(**kwargs: Any) -> Any:
    """Staff with admin access but not the moderation permission."""
    user = ReaderFactory(staff=True, **kwargs)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    return user


def make_commenter(name: str | None = None, **kwargs: Any) -> Commenter:
    user = ReaderFactory(verified=True, **kwargs)
    name = name or f"Reader {user.pk}"
    return Commenter.objects.create(user=user, display_name=name, display_name_key=name.casefold())


def make_comment(
    article: Any,
    author: Commenter | None,
    *,
    body: str = "A thoughtful remark.",
    status: str = CommentStatus.PUBLISHED,
    parent: Comment | None = None,
    held_reason: str = HeldReason.NONE,
) -> Comment:
    conversation, _ = Conversation.objects.get_or_create(page=article)
    comment = Comment.objects.create(
        conversation=conversation,
        author=author,
        parent=parent,
        root=(parent.root or parent) if parent else None,
        nest_parent=parent,
        depth=parent.depth + 1 if parent else 0,
        body=body,
        body_html=f"<p>{body}</p>",
        status=status,
        held_reason=held_reason if status == CommentStatus.PENDING else HeldReason.NONE,
    )
    if status == CommentStatus.PUBLISHED:
        Conversation.objects.filter(pk=conversation.pk).update(
            published_count=F("published_count") + 1
        )
        if author is not None:
            Commenter.objects.filter(pk=author.pk).update(published_count=F("published_count") + 1)
        if parent is not None:
            Comment.objects.filter(pk=parent.pk).update(reply_count=F("reply_count") + 1)
    return comment


def report(comment: Comment, reporter: Any = None, reason: str = ReportReason.SPAM) -> Report:
    made = Report.objects.create(
        comment=comment, reporter=reporter or ReaderFactory(), reason=reason, text="Looks like spam"
    )
    Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
    comment.refresh_from_db()
    return made


def hide_after_reports(comment: Comment, reporters: int = 3) -> Comment:
    """Reported until hidden, as the reports service leaves it."""
    for _ in range(reporters):
        report(comment)
    set_status(comment, CommentStatus.HIDDEN, held_reason=HeldReason.REPORTS)
    comment.refresh_from_db()
    return comment


def counts(comment: Comment) -> tuple[int, int, int | None]:
    """(conversation's published, author's published, parent's replies) as stored now."""
    conversation = Conversation.objects.get(pk=comment.conversation_id)
    author = Commenter.objects.get(pk=comment.author_id) if comment.author_id else None
    parent = Comment.objects.get(pk=comment.parent_id) if comment.parent_id else None
    return (
        conversation.published_count,
        author.published_count if author else 0,
        parent.reply_count if parent else None,
    )


def now() -> Any:
    return timezone.now()
