"""Links the editor puts in an issue's introduction work from the inbox: root-relative
and internal page links become absolute in both parts of the email."""

from __future__ import annotations

import re

import pytest

from masthead.newsletters import rendering, sending
from masthead.newsletters.models import NewsletterIssue

from .sending_rig import make_issue, subscribers

pytestmark = pytest.mark.django_db

BASE = "https://news.example.org"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.WAGTAILADMIN_BASE_URL = BASE
    settings.NEWSLETTER_CONNECTIONS = 1


def with_intro(intro: str) -> NewsletterIssue:
    issue = make_issue()
    NewsletterIssue.objects.filter(pk=issue.pk).update(intro=intro)
    issue.refresh_from_db()
    return issue


def test_root_relative_links_and_images_become_absolute_and_others_stay():
    issue = with_intro(
        '<p>See <a href="/about/">our team</a>, <a href="//cdn.example/x">a mirror</a>, '
        '<a href="https://elsewhere.example/">a partner</a> and '
        '<a href="mailto:tips@example.org">tips</a>.</p><img alt="Map" src="/media/map.png">'
    )
    rendered = rendering.issue_rendered(issue)

    assert f'href="{BASE}/about/"' in rendered.html
    assert f'src="{BASE}/media/map.png"' in rendered.html
    assert 'href="//cdn.example/x"' in rendered.html
    assert 'href="https://elsewhere.example/"' in rendered.html
    assert 'href="mailto:tips@example.org"' in rendered.html
    assert not re.search(r"""(href|src)="/(?!/)""", rendered.html)
    assert f"our team ({BASE}/about/)" in rendered.text
    assert "a partner (https://elsewhere.example/)" in rendered.text


def test_an_internal_page_link_is_absolute_in_the_sent_copy(smtp_settings):
    from rigs.newsroom import make_article, make_section

    article = make_article(section=make_section(), title="A story worth a link")
    issue = with_intro(f'<p>Read <a linktype="page" id="{article.pk}">this story</a>.</p>')
    subscribers(issue.newsletter, 1)
    sending.send_start(issue=issue)
    sending.send_work()

    (message,) = smtp_settings.recorder.messages
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in message.walk()
        if not p.is_multipart()
    }
    url = article.get_url()
    assert url.startswith("/")
    assert f'href="{BASE}{url}"' in parts["text/html"]
    assert f"this story ({BASE}{url})" in parts["text/plain"]
