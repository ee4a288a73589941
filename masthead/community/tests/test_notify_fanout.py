"""Who is notified of what: one notification per event and reader, never for oneself.

The fan-out services run as the tasks do (by id, after the event committed); the last
tests go through the signals, receivers and tasks (run at once in tests).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from masthead.community import signals
from masthead.community.models import (
    CommentStatus,
    Delivery,
    Follow,
    ModerationDecision,
    Mute,
    Notification,
    NotificationKind,
    NotificationPreference,
    ThreadFollow,
)
from masthead.community.services import notifications as service
from masthead.core.models import OutboxEmail
from rigs.newsroom import make_article

from .notify_support import comment, commenter, reader

pytestmark = pytest.mark.django_db
Kind = NotificationKind


@pytest.fixture(scope="module")
def shared_page(build_once: Any) -> Any:
    with build_once():
        yield make_article(hero=False, title="Harbour dues rise again")


@pytest.fixture
def page(shared_page: Any) -> Any:
    return type(shared_page).objects.get(pk=shared_page.pk)


def kinds_for(user: Any) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_a_reply_notifies_the_parents_author_once_however_often_it_runs(page):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    first = comment(ada, page)
    reply = comment(ben, page, parent=first)

    assert service.notify_comment_published(comment_id=reply.pk) == 1
    assert service.notify_comment_published(comment_id=reply.pk) == 0  # a retried worker

    [note] = Notification.objects.all()
    assert (note.recipient, note.kind, note.actor, note.comment) == (
        ada.user,
        Kind.REPLY,
        ben.user,
        reply,
    )
    assert note.event_key == f"comment:{reply.pk}"
    # Replies are emailed at once by default: one outbox email, however often it runs.
    assert note.delivery == Delivery.IMMEDIATE and note.emailed_at is not None
    assert OutboxEmail.objects.count() == 1


def test_several_reasons_make_one_notification_named_by_the_strongest(page):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    top = comment(ada, page)
    ThreadFollow.objects.create(user=ada.user, root=top)
    Follow.objects.create(follower=ada.user, followee=ben.user)
    reply = comment(ben, page, parent=top, mentions=[ada])

    service.notify_comment_published(comment_id=reply.pk)

    assert kinds_for(ada.user) == [Kind.REPLY]


def test_a_reason_switched_off_gives_way_to_the_next_one(page):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    top = comment(ada, page)
    NotificationPreference.objects.create(user=ada.user, kind=Kind.REPLY, delivery=Delivery.OFF)
    reply = comment(ben, page, parent=top, mentions=[ada])

    service.notify_comment_published(comment_id=reply.pk)

    assert kinds_for(ada.user) == [Kind.MENTION]


def test_every_reason_off_means_no_notification(page):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    top = comment(ada, page)
    NotificationPreference.objects.create(user=ada.user, kind=Kind.REPLY, delivery=Delivery.OFF)
    service.notify_comment_published(comment_id=comment(ben, page, parent=top).pk)
    assert not Notification.objects.exists()


def test_followers_and_thread_followers_hear_of_new_comments(page):
    ada, ben, cy = commenter(name="Ada"), commenter(name="Ben"), commenter(name="Cy")
    fan = reader()  # follows without ever commenting
    Follow.objects.create(follower=fan, followee=ben.user)
    top = comment(ada, page)
    ThreadFollow.objects.create(user=cy.user, root=top)
    middle = comment(ada, page, parent=top)
    deep = comment(ben, page, parent=middle)  # the thread is named by its top comment

    service.notify_comment_published(comment_id=deep.pk)

    assert kinds_for(fan) == [Kind.FOLLOWED_COMMENT]
    assert kinds_for(cy.user) == [Kind.THREAD_REPLY]
    assert kinds_for(ada.user) == [Kind.REPLY]
    assert kinds_for(ben.user) == []


def test_never_for_ones_own_comment(page):
    ada = commenter(name="Ada")
    top = comment(ada, page)
    ThreadFollow.objects.create(user=ada.user, root=top)
    own_reply = comment(ada, page, parent=top, mentions=[ada])
    service.notify_comment_published(comment_id=own_reply.pk)
    assert not Notification.objects.exists()


def test_a_muted_reader_never_notifies(page):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    top = comment(ada, page)
    Mute.objects.create(muter=ada.user, muted=ben.user)
    service.notify_comment_published(comment_id=comment(ben, page, parent=top, mentions=[ada]).pk)
    assert not Notification.objects.exists()


def test_an_inactive_account_is_not_notified(page):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    top = comment(ada, page)
    type(ada.user).objects.filter(pk=ada.user.pk).update(is_active=False)
    service.notify_comment_published(comment_id=comment(ben, page, parent=top).pk)
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "status", [CommentStatus.PENDING, CommentStatus.REJECTED, CommentStatus.HIDDEN]
)
def test_a_comment_that_is_not_published_notifies_no_one(page, status):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    top = comment(ada, page)
    service.notify_comment_published(comment_id=comment(ben, page, parent=top, status=status).pk)
    assert not Notification.objects.exists()


def test_an_address_not_yet_confirmed_gets_the_notification_on_the_site_only(page):
    ada = commenter(user=reader(verified=False), name="Ada")
    ben = commenter(name="Ben")
    top = comment(ada, page)
    service.notify_comment_published(comment_id=comment(ben, page, parent=top).pk)
    [note] = Notification.objects.all()
    assert note.delivery == Delivery.SITE
    assert not OutboxEmail.objects.exists()


def test_featuring_tells_the_author_once_but_not_when_they_feature_their_own(page):
    ada = commenter(name="Ada")
    editor = reader(editor=True)
    top = comment(ada, page)
    top.featured_at = timezone.now()
    top.save()
    assert service.notify_comment_featured(comment_id=top.pk, actor_id=editor.pk) == 1
    assert service.notify_comment_featured(comment_id=top.pk, actor_id=editor.pk) == 0
    assert kinds_for(ada.user) == [Kind.FEATURED]

    own = comment(commenter(user=editor, name="Desk"), page)
    own.featured_at = timezone.now()
    own.save()
    assert service.notify_comment_featured(comment_id=own.pk, actor_id=editor.pk) == 0


def test_a_rejection_tells_the_author_why(page):
    ada = commenter(name="Ada")
    moderator = reader(editor=True)
    rejected = comment(ada, page, status=CommentStatus.REJECTED)
    decision = ModerationDecision.objects.create(
        actor=moderator, comment=rejected, action="reject", reason="Personal attack"
    )
    assert service.notify_decision(decision_id=decision.pk) == 1
    [note] = Notification.objects.all()
    assert (note.recipient, note.kind, note.action, note.detail) == (
        ada.user,
        Kind.MODERATION,
        "reject",
        "Personal attack",
    )


def test_decisions_about_a_reader_are_told_but_notes_are_not(page):
    ada = commenter(name="Ada")
    moderator = reader(editor=True)
    warn = ModerationDecision.objects.create(
        actor=moderator, reader=ada.user, action="warn", reason="Keep it civil"
    )
    note = ModerationDecision.objects.create(
        actor=moderator, reader=ada.user, action="note", note="Watch this one"
    )
    assert service.notify_decision(decision_id=warn.pk) == 1
    assert service.notify_decision(decision_id=note.pk) == 0
    assert kinds_for(ada.user) == [Kind.MODERATION]


def test_the_signals_reach_the_fan_out_after_commit(page, django_capture_on_commit_callbacks):
    ada, ben = commenter(name="Ada"), commenter(name="Ben")
    moderator = reader(editor=True)
    top = comment(ada, page)
    reply = comment(ben, page, parent=top)
    reply.featured_at = timezone.now()
    reply.save()
    decision = ModerationDecision.objects.create(
        actor=moderator, comment=top, action="approve", reason=""
    )
    with django_capture_on_commit_callbacks(execute=True):
        signals.send_on_commit(signals.comment_published, sender=type(reply), comment=reply)
        signals.send_on_commit(
            signals.comment_featured, sender=type(reply), comment=reply, actor=moderator
        )
        signals.send_on_commit(
            signals.comment_decided, sender=type(top), comment=top, decision=decision
        )
        assert not Notification.objects.exists()  # nothing before the commit

    assert sorted(kinds_for(ada.user)) == [Kind.MODERATION, Kind.REPLY]
    assert kinds_for(ben.user) == [Kind.FEATURED]


def test_posting_a_reply_through_the_service_notifies_the_first_commenter(
    page, no_limits, django_capture_on_commit_callbacks
):
    # Local: the posting helper lives in core's conftest (community-core's tests).
    from .conftest import post

    ada, ben = reader(), reader()
    with django_capture_on_commit_callbacks(execute=True):
        first = post(ada, page, "A first thought")
    with django_capture_on_commit_callbacks(execute=True):
        reply = post(ben, page, f"@{first.author.display_name} I disagree", parent=first)

    [note] = Notification.objects.all()
    assert (note.recipient, note.kind, note.comment) == (ada, Kind.REPLY, reply)
    assert OutboxEmail.objects.filter(renderer__endswith="notification_email").count() == 1
