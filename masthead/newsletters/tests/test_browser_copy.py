"""The issue in a browser: only once it has gone out, and never past the wall."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.html import escape

from masthead.newsletters import sending

from .sending_rig import make_article_pair, make_issue

pytestmark = pytest.mark.django_db


def test_an_issue_not_yet_sent_is_not_shown(client):
    issue = make_issue()
    assert client.get(f"/newsletters/issues/{issue.pk}/").status_code == 404


def test_a_sent_issue_shows_headlines_standfirsts_and_links_never_bodies(client):
    free, premium = make_article_pair()
    issue = make_issue(articles=[free, premium])
    sending.send_start(issue=issue)

    page = client.get(f"/newsletters/issues/{issue.pk}/").content.decode()

    assert escape(issue.subject) in page
    for article in (free, premium):
        assert all(
            escape(text) in page for text in (article.title, article.standfirst, article.url)
        )
    assert "Premium" in page
    assert "Body of article" not in page


def test_junk_ids_are_404(client):
    assert client.get("/newsletters/issues/99999999999999999999999/").status_code == 404


@pytest.mark.parametrize("stop", ["pause", "cancel"])
def test_a_paused_or_cancelled_send_still_shows_the_issue(client, stop):
    issue = make_issue()
    send = sending.send_start(issue=issue)
    sending.send_freeze(send_id=send.pk)
    getattr(sending, f"send_{stop}")(send=send)

    assert client.get(f"/newsletters/issues/{issue.pk}/").status_code == 200


def test_a_scheduled_send_cancelled_before_it_started_is_not_shown(client):
    issue = make_issue()
    when = timezone.now() + dt.timedelta(days=1)
    sending.send_cancel(send=sending.send_start(issue=issue, when=when))

    assert client.get(f"/newsletters/issues/{issue.pk}/").status_code == 404
