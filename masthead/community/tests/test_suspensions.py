"""A suspension ends on its date: the reader may comment again at once, and the row is
set back to active (when they post, and by `manage.py end_suspensions`)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from masthead.community.models import Comment, Commenter, CommenterStatus, CommentStatus
from masthead.community.services import decisions
from masthead.community.services.errors import Closed
from masthead.community.services.suspensions import suspensions_end_expired

from .conftest import post
from .moderation_rig import make_commenter, make_moderator

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def _suspend(commenter: Commenter, days: int) -> None:
    decisions.reader_suspend(
        actor=make_moderator(), user=commenter.user, days=days, reason="Cool off"
    )


def test_a_reader_comments_again_once_the_suspension_is_over(article, no_limits):
    author = make_commenter("Tamsin")
    with time_machine.travel(START, tick=False):
        _suspend(author, days=3)
    just_before = START + dt.timedelta(days=3) - dt.timedelta(seconds=1)
    with (
        time_machine.travel(just_before, tick=False),
        pytest.raises(Closed, match="suspended until"),
    ):
        post(author.user, article, "Still too early")
    with time_machine.travel(START + dt.timedelta(days=3), tick=False):
        comment = post(author.user, article, "Back, and calmer")
    assert comment.status == CommentStatus.PUBLISHED
    author.refresh_from_db()
    assert (author.status, author.suspended_until) == (CommenterStatus.ACTIVE, None)


def test_the_conversation_offers_the_form_again_after_the_suspension(article, no_limits):
    author = make_commenter("Tamsin")
    with time_machine.travel(START, tick=False):
        _suspend(author, days=1)
    client = Client()
    client.force_login(author.user)
    url = reverse("community:conversation", args=[article.pk])
    with time_machine.travel(START + dt.timedelta(hours=23), tick=False):
        during = client.get(url).content.decode()
        assert "You may comment again from" in during
        refused = client.post(
            reverse("community:post", args=[article.pk]), {"body": "Too soon, I know"}
        )
        assert refused.status_code == 403
        assert "You may comment again from" in refused.content.decode()
    with time_machine.travel(START + dt.timedelta(days=1, minutes=1), tick=False):
        after = client.get(url).content.decode()
        assert "You may comment again from" not in after
        client.post(reverse("community:post", args=[article.pk]), {"body": "Here again"})
    assert Comment.objects.filter(author=author, body="Here again").exists()


def test_end_suspensions_ends_only_those_that_are_over(db):
    over, running, open_ended, banned = (make_commenter() for _ in range(4))
    with time_machine.travel(START, tick=False):
        _suspend(over, days=2)
        _suspend(running, days=10)
        decisions.reader_ban(actor=make_moderator(), user=banned.user, reason="Spam")
    Commenter.objects.filter(pk=open_ended.pk).update(status=CommenterStatus.SUSPENDED)
    with time_machine.travel(START + dt.timedelta(days=5), tick=False):
        out = StringIO()
        call_command("end_suspensions", stdout=out)
        assert "1 suspension(s) ended" in out.getvalue()
        assert suspensions_end_expired() == 0  # a second run changes nothing
    states = {
        c.pk: (c.status, c.suspended_until)
        for c in Commenter.objects.filter(pk__in=[over.pk, running.pk, open_ended.pk, banned.pk])
    }
    assert states[over.pk] == (CommenterStatus.ACTIVE, None)
    assert states[running.pk] == (CommenterStatus.SUSPENDED, START + dt.timedelta(days=10))
    assert states[open_ended.pk] == (CommenterStatus.SUSPENDED, None)
    assert states[banned.pk] == (CommenterStatus.BANNED, None)


def test_a_suspended_reader_may_not_like_or_report_until_it_is_over(article, no_limits):
    from masthead.community.services.errors import NotAllowed
    from masthead.community.services.reactions import comment_like
    from masthead.community.services.reports import comment_report

    from .moderation_rig import make_comment

    other = make_comment(article, make_commenter("Odile"))
    author = make_commenter("Tamsin")
    with time_machine.travel(START, tick=False):
        _suspend(author, days=3)
        with pytest.raises(NotAllowed, match="suspended until"):
            comment_like(user=author.user, comment=other)
        with pytest.raises(NotAllowed, match="suspended until"):
            comment_report(user=author.user, comment=other, reason="spam")
    with time_machine.travel(START + dt.timedelta(days=3), tick=False):
        assert comment_like(user=author.user, comment=other) == 1
        comment_report(user=author.user, comment=other, reason="spam")


def test_a_banned_reader_may_not_like_or_report(article, no_limits):
    from masthead.community.services.errors import NotAllowed
    from masthead.community.services.reactions import comment_like
    from masthead.community.services.reports import comment_report

    from .moderation_rig import make_comment

    other = make_comment(article, make_commenter("Odile"))
    author = make_commenter("Tamsin")
    decisions.reader_ban(actor=make_moderator(), user=author.user, reason="Abuse")
    with pytest.raises(NotAllowed, match="no longer like"):
        comment_like(user=author.user, comment=other)
    with pytest.raises(NotAllowed, match="no longer report"):
        comment_report(user=author.user, comment=other, reason="spam")
