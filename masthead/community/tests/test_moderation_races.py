"""Moderators deciding the same comment at the same moment, on PostgreSQL: one decision
counts, the others are told it is already decided."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from masthead.community.models import CommentStatus, Conversation, ModerationDecision
from masthead.community.services import decisions
from masthead.community.services.errors import InvalidInput
from masthead.content.tests.factories import make_article

from .moderation_rig import make_comment, make_commenter, make_moderator

pytestmark = [
    # serialized_rollback: the flush after a transactional test would otherwise wipe the
    # rows migrations made (Wagtail's root page and collection) for later tests.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgresql,  # concurrent writers
]


def _all_at_once(work: list[Any]) -> list[Exception]:
    barrier = threading.Barrier(len(work))
    errors: list[Exception] = []

    def run(job: Any) -> None:
        try:
            barrier.wait()
            job()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_simultaneous_approvals_publish_and_count_a_comment_once():
    article = make_article(hero=False)
    held = make_comment(article, make_commenter(), status=CommentStatus.PENDING)
    moderators = [make_moderator() for _ in range(6)]

    errors = _all_at_once(
        [lambda m=m: decisions.comment_approve(actor=m, comment=held.pk) for m in moderators]
    )

    assert len(errors) == 5
    assert all(isinstance(e, InvalidInput) and e.code == "already_published" for e in errors)
    assert ModerationDecision.objects.filter(comment=held).count() == 1
    assert Conversation.objects.get(page=article).published_count == 1


def test_an_approval_and_a_rejection_at_once_leave_one_consistent_outcome():
    article = make_article(hero=False)
    held = make_comment(article, make_commenter(), status=CommentStatus.PENDING)
    one, other = make_moderator(), make_moderator()

    _all_at_once(
        [
            lambda: decisions.comment_approve(actor=one, comment=held.pk),
            lambda: decisions.comment_reject(actor=other, comment=held.pk, reason="spam"),
        ]
    )

    held.refresh_from_db()
    published = Conversation.objects.get(page=article).published_count
    assert published == (1 if held.status == CommentStatus.PUBLISHED else 0)
    last = ModerationDecision.objects.filter(comment=held).first()
    assert (
        last is not None
        and last.action == {"published": "approve", "rejected": "reject"}[held.status]
    )
