"""Likes and reports: once per reader, never on one's own comment, limited in rate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from masthead.community.models import (
    Comment,
    CommentStatus,
    Conversation,
    HeldReason,
    Like,
    Report,
    ReportReason,
)
from masthead.community.services import reactions, reports
from masthead.community.services.errors import InvalidInput, NotAllowed, RateLimited

from .conftest import configure, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def comment(article, make_reader):
    return post(make_reader(), article, "Worth a like")


def test_one_like_per_reader_counted(comment, make_reader) -> None:
    reader = make_reader()
    assert reactions.comment_like(user=reader, comment=comment) == 1
    assert reactions.comment_like(user=reader, comment=comment) == 1
    assert reactions.comment_like(user=make_reader(), comment=comment) == 2
    assert Like.objects.filter(comment=comment).count() == 2
    assert reactions.comment_unlike(user=reader, comment=comment) == 1
    assert reactions.comment_unlike(user=reader, comment=comment) == 1


def test_a_reader_cannot_like_their_own_comment(comment) -> None:
    with pytest.raises(NotAllowed) as caught:
        reactions.comment_like(user=comment.author.user, comment=comment)
    assert caught.value.message == "You cannot like your own comment."


def test_visitors_and_unpublished_comments_take_no_likes(comment, make_reader) -> None:
    with pytest.raises(NotAllowed):
        reactions.comment_like(user=AnonymousUser(), comment=comment)
    Comment.objects.filter(pk=comment.pk).update(status=CommentStatus.PENDING)
    comment.refresh_from_db()
    with pytest.raises(NotAllowed) as caught:
        reactions.comment_like(user=make_reader(), comment=comment)
    assert caught.value.code == "not_published"


def test_likes_are_rate_limited_per_minute(article, make_reader) -> None:
    configure(reactions_per_minute=2, comment_interval_seconds=0)
    author = make_reader()
    comments = [post(author, article, f"Text {i}") for i in range(3)]
    reader = make_reader()
    now = timezone.now().replace(second=0, microsecond=0)
    reactions.comment_like(user=reader, comment=comments[0], now=now)
    reactions.comment_like(user=reader, comment=comments[1], now=now)
    with pytest.raises(RateLimited) as caught:
        reactions.comment_like(user=reader, comment=comments[2], now=now)
    assert caught.value.retry_at == now + timedelta(minutes=1)
    assert "Try again at" in caught.value.message


def test_a_report_needs_a_known_reason_and_other_needs_words(comment, make_reader) -> None:
    reader = make_reader()
    with pytest.raises(InvalidInput) as caught:
        reports.comment_report(user=reader, comment=comment, reason="boring")
    assert caught.value.code == "reason"
    with pytest.raises(InvalidInput) as caught:
        reports.comment_report(user=reader, comment=comment, reason=ReportReason.OTHER, text=" ")
    assert caught.value.code == "text_required"
    with pytest.raises(InvalidInput) as caught:
        reports.comment_report(
            user=reader, comment=comment, reason=ReportReason.OTHER, text="x" * 501
        )
    assert caught.value.code == "text_long"
    report = reports.comment_report(
        user=reader, comment=comment, reason=ReportReason.OTHER, text="Doxxing"
    )
    assert (report.reason, report.text) == ("other", "Doxxing")


def test_one_report_per_reader_and_never_ones_own(comment, make_reader) -> None:
    reader = make_reader()
    reports.comment_report(user=reader, comment=comment, reason=ReportReason.SPAM)
    with pytest.raises(InvalidInput) as caught:
        reports.comment_report(user=reader, comment=comment, reason=ReportReason.ABUSE)
    assert caught.value.code == "already_reported"
    with pytest.raises(NotAllowed):
        reports.comment_report(user=comment.author.user, comment=comment, reason="spam")
    with pytest.raises(NotAllowed):
        reports.comment_report(user=AnonymousUser(), comment=comment, reason="spam")
    assert Report.objects.count() == 1


def test_enough_reports_hide_the_comment_for_the_moderators(comment, make_reader) -> None:
    configure(report_hide_threshold=2)
    reports.comment_report(user=make_reader(), comment=comment, reason="abuse")
    comment.refresh_from_db()
    assert comment.status == CommentStatus.PUBLISHED
    reports.comment_report(user=make_reader(), comment=comment, reason="hate")
    comment.refresh_from_db()
    assert (comment.status, comment.held_reason) == (CommentStatus.HIDDEN, HeldReason.REPORTS)
    assert comment.report_count == 2
    assert Conversation.objects.get(pk=comment.conversation_id).published_count == 0
    assert reports.reports_resolve(comment=comment) == 2
    comment.refresh_from_db()
    assert comment.report_count == 0


def test_reports_are_rate_limited_per_hour(article, make_reader) -> None:
    configure(reports_per_hour=1, comment_interval_seconds=0)
    author = make_reader()
    first, second = post(author, article, "One"), post(author, article, "Two")
    reader = make_reader()
    reports.comment_report(user=reader, comment=first, reason="spam")
    with pytest.raises(RateLimited) as caught:
        reports.comment_report(user=reader, comment=second, reason="spam")
    assert "You can report again at" in caught.value.message
