"""The issue in a browser: only once it has gone out, never past the wall, and never
found by counting ids; a members-only issue only for registered readers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import signing
from django.utils import timezone
from django.utils.html import escape

from masthead.newsletters import rendering, sending, tokens
from masthead.newsletters.models import Newsletter

from .factories import NewsletterFactory, ReaderFactory
from .sending_rig import make_article_pair, make_issue, subscribers

pytestmark = pytest.mark.django_db


def open_issue(articles=()):
    return make_issue(NewsletterFactory(audience=Newsletter.Audience.OPEN), articles=articles)


def url(issue, user_id=None) -> str:
    return rendering.browser_url(issue_id=issue.pk, user_id=user_id)


def test_an_issue_not_yet_sent_is_not_shown(client):
    issue = open_issue()
    assert client.get(url(issue)).status_code == 404


def test_a_sent_issue_shows_headlines_standfirsts_and_links_never_bodies(client):
    free, premium = make_article_pair()
    issue = open_issue(articles=[free, premium])
    sending.send_start(issue=issue)

    page = client.get(url(issue)).content.decode()

    assert escape(issue.subject) in page
    for article in (free, premium):
        assert all(
            escape(text) in page for text in (article.title, article.standfirst, article.url)
        )
    assert "Premium" in page
    assert "Body of article" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/newsletters/issues/1/",  # the old counted address
        "/newsletters/issues/99999999999999999999999/",
        "/newsletters/issues/WzEsbnVsbF0:1tQ:forged/",
    ],
)
def test_counted_ids_and_junk_find_nothing(client, path):
    sending.send_start(issue=open_issue())
    assert client.get(path).status_code == 404


def test_issues_cannot_be_found_by_counting(client):
    first, second = open_issue(), open_issue()
    for issue in (first, second):
        sending.send_start(issue=issue)
    # A valid token for one issue, with the id swapped: the signature no longer holds.
    token = tokens.issue_token(issue_id=first.pk)
    _payload, rest = token.split(":", 1)
    swapped = signing.b64_encode(f"[{second.pk},null]".encode()).decode()
    assert client.get(f"/newsletters/issues/{swapped}:{rest}/").status_code == 404
    # A token signed with another purpose's salt (an unsubscribe link) is no key either.
    other = signing.dumps([second.pk, None], salt="masthead.newsletters.unsubscribe")
    assert client.get(f"/newsletters/issues/{other}/").status_code == 404
    assert client.get(url(second)).status_code == 200
    assert url(first).rsplit("/", 2)[-2] != url(second).rsplit("/", 2)[-2]


def test_a_members_only_issue_asks_anonymous_visitors_to_sign_in(client):
    issue = make_issue(articles=make_article_pair())  # registered readers only
    sending.send_start(issue=issue)

    response = client.get(url(issue))

    assert response.status_code == 403
    page = response.content.decode()
    assert escape(issue.subject) not in page
    assert "A free story" not in page
    assert "Sign in" in page


def test_a_members_only_issue_opens_for_a_signed_in_reader(client):
    issue = make_issue()
    sending.send_start(issue=issue)
    client.force_login(ReaderFactory())
    assert client.get(url(issue)).status_code == 200


def test_a_readers_own_copy_opens_signed_out_and_stops_when_the_account_is_closed(client):
    issue = make_issue()
    (reader,) = subscribers(issue.newsletter, 1)
    sending.send_start(issue=issue)

    assert client.get(url(issue, reader.pk)).status_code == 200
    type(reader).objects.filter(pk=reader.pk).update(is_active=False)
    assert client.get(url(issue, reader.pk)).status_code == 403


def test_each_emailed_copy_links_its_own_unguessable_browser_address(smtp_settings, settings):
    settings.NEWSLETTER_CONNECTIONS = 1
    issue = make_issue()
    readers = subscribers(issue.newsletter, 2)
    sending.send_start(issue=issue)
    sending.send_work()

    links = {}
    for message in smtp_settings.recorder.messages:
        text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        found = re.search(
            r"https?://\S+/newsletters/issues/(\S+)/", text.get_payload(decode=True).decode()
        )
        links[message["To"]] = found.group(1)
    assert len(set(links.values())) == 2
    for reader in readers:
        link = tokens.issue_check(links[reader.email])
        assert link == tokens.IssueLink(issue_id=issue.pk, user_id=reader.pk)


@pytest.mark.parametrize("stop", ["pause", "cancel"])
def test_a_paused_or_cancelled_send_still_shows_the_issue(client, stop):
    issue = open_issue()
    send = sending.send_start(issue=issue)
    sending.send_freeze(send_id=send.pk)
    getattr(sending, f"send_{stop}")(send=send)

    assert client.get(url(issue)).status_code == 200


def test_a_scheduled_send_cancelled_before_it_started_is_not_shown(client):
    issue = open_issue()
    when = timezone.now() + dt.timedelta(days=1)
    sending.send_cancel(send=sending.send_start(issue=issue, when=when))

    assert client.get(url(issue)).status_code == 404
