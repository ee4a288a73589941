"""Notification emails as a real SMTP server (aiosmtpd) receives them, and unsubscribing.

Invariants checked: an immediate notification arrives once, branded (text and HTML
parts, the newsroom in the subject), with a signed one-click unsubscribe for its kind
(RFC 8058) that works without a CSRF token or a session and only turns that email off;
the digest gathers the unread notifications due into one email, once; an email whose
comment was removed before sending is cancelled; a forged link is refused with a message.
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from wagtail.models import Site

from masthead.community.emails import digest_email, notification_email
from masthead.community.models import (
    CommentStatus,
    Delivery,
    ModerationDecision,
    Notification,
    NotificationKind,
    NotificationPreference,
    ThreadFollow,
)
from masthead.community.services import notifications as service
from masthead.core import outbox
from masthead.core.models import OutboxEmail, OutboxStatus
from masthead.core.newsroom import newsroom_name_forget
from rigs.newsroom import make_article

from .notify_support import comment, commenter, fresh, reader

pytestmark = pytest.mark.django_db
NEWSROOM = "The Saltmere Courier"
Kind = NotificationKind


@pytest.fixture(scope="module")
def shared_page(build_once: Any) -> Any:
    with build_once():
        yield make_article(hero=False, title="Harbour dues rise again")


@pytest.fixture
def page(shared_page: Any) -> Any:
    Site.objects.filter(is_default_site=True).update(site_name=NEWSROOM)
    newsroom_name_forget()  # a queryset update sends no signal
    return fresh(shared_page)


def parts(message: Message) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    text, html = (p.get_payload(decode=True).decode() for p in message.get_payload())
    return text, html


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"]))).strip()


def unsubscribe_path(message: Message) -> str:
    [url] = re.findall(r"<(http[^>]+)>", message["List-Unsubscribe"])
    return urlsplit(url).path


def test_a_reply_arrives_once_by_email_with_a_one_click_unsubscribe(
    page, smtp_settings, django_capture_on_commit_callbacks
):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    top = comment(ada, page)
    reply = comment(ben, page, parent=top, body="Fair point <script>alert(1)</script> & more")
    with django_capture_on_commit_callbacks(execute=True):
        service.notify_comment_published(comment_id=reply.pk)
        service.notify_comment_published(comment_id=reply.pk)  # a retried worker

    [message] = smtp_settings.recorder.messages
    assert message["To"] == ada.user.email
    assert (
        subject(message) == f"{NEWSROOM}: Ben replied to your comment on “Harbour dues rise again”"
    )
    text, html = parts(message)
    assert "Fair point <script>alert(1)</script> & more" in text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f"/community/comments/{reply.pk}" in text or f"#comment-{reply.pk}" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # A mail system's one-click POST: no session, no CSRF token.
    mail_system = Client(enforce_csrf_checks=True)
    response = mail_system.post(
        unsubscribe_path(message),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert service.preferences_for(ada.user)[Kind.REPLY] == Delivery.SITE
    # Only that kind: mentions still come by email.
    assert service.preferences_for(ada.user)[Kind.MENTION] == Delivery.IMMEDIATE


def test_the_unsubscribe_link_asks_first_and_refuses_a_forged_token(page, client):
    ada = commenter(name="Ada")
    token = service.unsubscribe_token(user_id=ada.user.pk, kind=Kind.MENTION)
    url = f"/community/notifications/unsubscribe/{token}/"

    response = client.get(url)
    assert response.status_code == 200
    assert b"Stop these emails" in response.content
    assert service.preferences_for(ada.user)[Kind.MENTION] == Delivery.IMMEDIATE

    forged = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    response = client.post(f"/community/notifications/unsubscribe/{forged}/")
    assert response.status_code == 400
    assert b"This unsubscribe link is not valid" in response.content
    assert service.preferences_for(ada.user)[Kind.MENTION] == Delivery.IMMEDIATE


def test_an_email_about_a_comment_removed_before_sending_is_cancelled(
    page, smtp_settings, django_capture_on_commit_callbacks
):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    reply = comment(ben, page, parent=comment(ada, page))
    with django_capture_on_commit_callbacks(execute=False):
        service.notify_comment_published(comment_id=reply.pk)
    reply.status = CommentStatus.REJECTED
    reply.save()
    [row] = OutboxEmail.objects.all()

    assert outbox.deliver(row.pk) == OutboxStatus.CANCELLED
    assert smtp_settings.recorder.messages == []


def test_the_digest_gathers_the_unread_ones_once(
    page, smtp_settings, django_capture_on_commit_callbacks
):
    ada, ben, cy = commenter(name="Ada"), commenter(name="Ben"), commenter(name="Cy")
    top = comment(ada, page)
    ThreadFollow.objects.create(user=cy.user, root=top)  # thread replies: digest by default
    replies = [comment(ben, page, parent=top, body=f"Reply number {i}") for i in range(3)]
    NotificationPreference.objects.create(user=ada.user, kind=Kind.REPLY, delivery=Delivery.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        for reply in replies:
            service.notify_comment_published(comment_id=reply.pk)
    notes = Notification.objects.filter(recipient=cy.user).order_by("pk")
    assert [n.delivery for n in notes] == [Delivery.DIGEST] * 3
    assert smtp_settings.recorder.messages == []  # nothing at once
    service.notification_read(user=cy.user, notification_id=notes[0].pk)

    with django_capture_on_commit_callbacks(execute=True):
        assert service.digests_send() == 1
        assert service.digests_send() == 0  # run twice the same day

    [message] = smtp_settings.recorder.messages
    assert message["To"] == cy.user.email
    text, html = parts(message)
    assert "Reply number 1" in text and "Reply number 2" in text
    assert "Reply number 0" not in text  # read already
    assert "Ben replied in a conversation you follow" in html
    assert Notification.objects.filter(recipient=cy.user, emailed_at__isnull=True).count() == 0

    response = Client(enforce_csrf_checks=True).post(unsubscribe_path(message))
    assert response.status_code == 200
    assert service.preferences_for(cy.user)[Kind.THREAD_REPLY] == Delivery.SITE


def test_the_renderers_cancel_when_nothing_is_left_to_say(page):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    reply = comment(ben, page, parent=comment(ada, page))
    service.notify_comment_published(comment_id=reply.pk)
    note = Notification.objects.get()
    assert notification_email(notification_id=note.pk) is not None
    note.read_at = timezone.now()
    note.save()
    assert notification_email(notification_id=note.pk) is None  # read on the site already
    assert notification_email(notification_id=10**9) is None
    assert digest_email(user_id=ada.user.pk, notification_ids=[note.pk]) is None


def test_a_rejection_email_tells_the_author_why(
    page, smtp_settings, django_capture_on_commit_callbacks
):
    ada = commenter(name="Ada")
    rejected = comment(ada, page, status=CommentStatus.REJECTED, body="My own words")
    decision = ModerationDecision.objects.create(
        actor=reader(editor=True), comment=rejected, action="reject", reason="Off topic"
    )
    with django_capture_on_commit_callbacks(execute=True):
        service.notify_decision(decision_id=decision.pk)
    [message] = smtp_settings.recorder.messages
    text, _html = parts(message)
    assert "was rejected by a moderator. The reason: Off topic" in text
    assert "My own words" in text  # the author's own comment, quoted back to them


def test_the_daily_command_queues_the_digests(page, django_capture_on_commit_callbacks):
    ada, ben, fan = commenter(name="Ada"), commenter(name="Ben"), reader()
    top = comment(ada, page)
    ThreadFollow.objects.create(user=fan, root=top)
    service.notify_comment_published(comment_id=comment(ben, page, parent=top).pk)
    out = StringIO()
    call_command("send_comment_digests", stdout=out)
    assert out.getvalue().strip() == "1 digest email(s) queued"
