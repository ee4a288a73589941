"""Builders for the send pipeline's tests: a newsletter, an issue, many subscribers."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from masthead.newsletters import sending
from masthead.newsletters.models import (
    IssueArticle,
    Newsletter,
    NewsletterIssue,
    Send,
    Subscription,
)
from rigs.newsroom import make_article, make_section

from .factories import NewsletterFactory


def make_issue(
    newsletter: Newsletter | None = None, *, articles: list[Any] = ()
) -> NewsletterIssue:
    newsletter = newsletter or NewsletterFactory(
        sender_name="The Morning Desk",
        sender_address="desk@example.org",
        reply_to="editor@example.org",
    )
    issue = NewsletterIssue.objects.create(
        newsletter=newsletter, subject="Tuesday's briefing", intro="<p>Good morning.</p>"
    )
    for n, article in enumerate(articles):
        IssueArticle.objects.create(issue=issue, page=article, sort_order=n)
    return issue


def make_article_pair() -> list[Any]:
    section = make_section()
    return [
        make_article(section=section, title="A free story"),
        make_article(section=section, title="A premium story", access_level="premium"),
    ]


def subscribers(
    newsletter: Newsletter, count: int, *, prefix: str = "sub", verified: bool = True
) -> list[Any]:
    """`count` readers subscribed to `newsletter`, written in bulk (no password hashing).

    Their addresses are verified unless `verified=False` (issues go only to a proved
    address), as after following the link emailed when they registered."""
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [
            user_model(
                email=f"{prefix}{n}@example.com",
                first_name=f"Reader{n}",
                last_name="Test",
                password="!unusable",
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    if users and users[0].pk is None:  # SQLite before RETURNING: read them back
        users = list(user_model.objects.filter(email__startswith=prefix).order_by("pk"))
    now = timezone.now()
    Subscription.objects.bulk_create(
        [
            Subscription(
                user=u, newsletter=newsletter, created_at=now, changed_at=now, source="test"
            )
            for u in users
        ],
        batch_size=1000,
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, primary=True, verified=verified) for u in users],
        batch_size=1000,
    )
    return users


def change_address(user: Any, address: str, *, verified: bool = True) -> None:
    """The reader's account now has `address`, proved (verified) unless told otherwise."""
    type(user).objects.filter(pk=user.pk).update(email=address)
    EmailAddress.objects.filter(user=user).delete()
    EmailAddress.objects.create(user=user, email=address, primary=True, verified=verified)


def frozen_send(count: int) -> tuple[Send, list[Any]]:
    """A send to `count` new subscribers, started and frozen (its batches written)."""
    issue = make_issue()
    readers = subscribers(issue.newsletter, count)
    send = sending.send_start(issue=issue)
    sending.send_freeze(send_id=send.pk)
    return send, readers
