"""The issue in a browser: only once it has gone out, and never past the wall."""

from __future__ import annotations

import pytest
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
