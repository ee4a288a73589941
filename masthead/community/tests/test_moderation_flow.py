"""Moderation decisions meeting the posting and reporting services: what a moderator
decides changes what readers can do, and what readers do reaches the queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from masthead.community.models import (
    Comment,
    CommentStatus,
    Conversation,
    HeldReason,
    ModerationDecision,
    Report,
    ReportReason,
)
from masthead.community.services import decisions, posting, reports
from masthead.community.services.errors import Closed
from masthead.content.models import ArticlePage
from masthead.content.tests.factories import make_article
from masthead.readers.tests.factories import ReaderFactory

from .moderation_rig import make_moderator


@pytest.fixture(scope="module")
def _article_id(build_once: Any) -> Iterator[int]:
    with build_once():
        yield make_article(hero=False).pk


@pytest.fixture
def article(_article_id: int, db: None) -> ArticlePage:
    return ArticlePage.objects.get(pk=_article_id)


@pytest.fixture
def moderator(db: None) -> Any:
    return make_moderator()


class Clock:
    """Each post a minute after the last, so the rate limit never stands in the way."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def tick(self) -> dt.datetime:
        self.now += dt.timedelta(minutes=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def post(user: Any, page: Any, clock: Clock, body: str = "", **kwargs: Any) -> Comment:
    kwargs.setdefault("display_name", None if hasattr(user, "commenter") else f"Name {user.pk}")
    return posting.comment_post(
        user=user,
        page=page,
        body=body or f"Words at {clock.now:%H:%M:%S}",
        reads_in_full=True,
        now=clock.tick(),
        **kwargs,
    )


def test_a_premoderated_readers_comment_waits_in_the_queue_until_approved(
    client, article, moderator, clock
):
    reader = ReaderFactory(verified=True)
    first = post(reader, article, clock, body="First, published at once")
    assert first.status == CommentStatus.PUBLISHED
    decisions.reader_premoderate(actor=moderator, user=reader, on=True)
    held = post(reader, article, clock, body="Second, held for a moderator")
    assert (held.status, held.held_reason) == (CommentStatus.PENDING, HeldReason.READER)

    client.force_login(moderator)
    queue = client.get(reverse("community_moderation_pending")).content.decode()
    assert "Second, held for a moderator" in queue
    assert "First, published at once" not in queue
    client.post(reverse("community_moderation_bulk"), {"one": f"{held.pk}:approve"})
    held.refresh_from_db()
    assert held.status == CommentStatus.PUBLISHED
    assert Conversation.objects.get(page=article).published_count == 2


def test_a_suspended_reader_cannot_post_until_the_suspension_is_lifted(article, moderator, clock):
    reader = ReaderFactory(verified=True)
    post(reader, article, clock)
    decisions.reader_suspend(actor=moderator, user=reader, days=2, reason="Cool off")
    with pytest.raises(Closed) as refusal:
        post(reader, article, clock)
    assert refusal.value.code == "suspended"
    decisions.reader_unban(actor=moderator, user=reader)
    assert post(reader, article, clock).status == CommentStatus.PUBLISHED


def test_a_banned_reader_cannot_post(article, moderator, clock):
    reader = ReaderFactory(verified=True)
    post(reader, article, clock)
    decisions.reader_ban(actor=moderator, user=reader, reason="Threats")
    with pytest.raises(Closed) as refusal:
        post(reader, article, clock)
    assert refusal.value.code == "banned"


def test_closing_an_articles_comments_stops_new_ones_and_reopening_allows_them(
    article, moderator, clock
):
    reader = ReaderFactory(verified=True)
    post(reader, article, clock)
    decisions.conversation_set_closed(actor=moderator, page=article, closed=True)
    with pytest.raises(Closed) as refusal:
        post(reader, article, clock)
    assert refusal.value.code == "closed"
    decisions.conversation_set_closed(actor=moderator, page=article, closed=False)
    assert post(reader, article, clock).status == CommentStatus.PUBLISHED


def test_a_comment_hidden_by_reports_reaches_the_queue_and_keeping_it_brings_it_back(
    client, article, moderator, clock
):
    author = ReaderFactory(verified=True)
    comment = post(author, article, clock, body="Contested but fair")
    for _ in range(3):  # the default threshold
        reports.comment_report(
            user=ReaderFactory(verified=True), comment=comment, reason=ReportReason.ABUSE
        )
    comment.refresh_from_db()
    assert comment.status == CommentStatus.HIDDEN
    assert Conversation.objects.get(page=article).published_count == 0

    client.force_login(moderator)
    reported = client.get(reverse("community_moderation_reported")).content.decode()
    assert "Contested but fair" in reported and "Abusive or offensive: 3" in reported
    client.post(reverse("community_moderation_bulk"), {"one": f"{comment.pk}:approve"})
    comment.refresh_from_db()
    assert (comment.status, comment.report_count) == (CommentStatus.PUBLISHED, 0)
    assert not Report.objects.filter(resolved_at__isnull=True).exists()
    assert Conversation.objects.get(page=article).published_count == 1
    assert ModerationDecision.objects.get().reader == author


def test_a_rejected_reply_leaves_its_thread_in_place(article, moderator, clock):
    top = post(ReaderFactory(verified=True), article, clock)
    reply = post(ReaderFactory(verified=True), article, clock, parent=top)
    answer = post(ReaderFactory(verified=True), article, clock, parent=reply)
    decisions.comment_reject(actor=moderator, comment=reply, reason="off_topic")
    top.refresh_from_db()
    answer.refresh_from_db()
    assert top.reply_count == 0
    assert (answer.status, answer.parent_id) == (CommentStatus.PUBLISHED, reply.pk)
    assert Conversation.objects.get(page=article).published_count == 2
