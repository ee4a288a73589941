"""Pages cost a fixed number of queries, whatever their size (the N+1 guard).

The counts are taken with every cache emptied first, so they hold for the first
request after a deploy as well as the thousandth.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import AuthorFactory, ImageFactory, make_article, make_home, make_section, paragraph

MAX_QUERIES = 12

pytestmark = pytest.mark.django_db


def _clear_caches() -> None:
    for alias in ("default", "renditions"):
        caches[alias].clear()


def _count(client, url: str) -> int:
    client.get(url)  # first request creates image renditions on disk
    _clear_caches()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _article_of_size(size: int):
    section = make_section()
    tags = [f"topic-{size}-{i}" for i in range(size)]
    authors = [AuthorFactory() for _ in range(size)]
    others = [make_article(section=section, tags=tags[:1]) for _ in range(size)]
    body = []
    for i in range(size * 3):
        body.append(paragraph(f"Paragraph {i}."))
        body.append({"type": "crosshead", "value": f"Crosshead {i}"})
        body.append(
            {"type": "image", "value": {"image": ImageFactory().pk, "caption": "c", "credit": "x"}}
        )
        body.append({"type": "related_story", "value": {"page": others[i % size].pk, "label": ""}})
        body.append({"type": "fact_box", "value": {"title": f"Facts {i}", "body": "<p>f</p>"}})
    return make_article(section=section, body=body, authors=authors, tags=tags)


def test_article_page_queries_do_not_grow_with_its_size(client):
    make_home()
    small = _article_of_size(1)
    large = _article_of_size(5)
    small_count = _count(client, small.url)
    large_count = _count(client, large.url)
    assert small_count == large_count
    assert large_count <= MAX_QUERIES


def test_front_page_queries_do_not_grow_with_sections_or_articles(client):
    home = make_home()
    section = make_section(parent=home)
    make_article(section=section)
    small_count = _count(client, "/")
    for _ in range(4):
        extra = make_section(parent=home)
        nested = make_section(parent=extra)
        for _ in range(3):
            make_article(section=extra, authors=[AuthorFactory(), AuthorFactory()], tags=["a", "b"])
            make_article(section=nested)
    large_count = _count(client, "/")
    assert small_count == large_count
    assert large_count <= MAX_QUERIES


def test_section_page_queries_do_not_grow_with_articles(client):
    section = make_section()
    make_article(section=section)
    small_count = _count(client, section.url)
    for _ in range(8):
        make_article(section=section, authors=[AuthorFactory(), AuthorFactory()], tags=["x", "y"])
    assert _count(client, section.url) == small_count <= MAX_QUERIES


# 2 under the test settings (1 in production, where sessions are cached): the session
# and the reader (their unread notifications are counted once and kept). The page, its
# site, bylines, tags, access settings and view restrictions come with the cached route
# (content.routing); the
# related stories, menus and body from the page's shell and the body's cached parts
# (core.page_shell, core.render_cache); a reader who cannot edit asks no permission.
SIGNED_IN_MAX_QUERIES = 2


def test_signed_in_readers_article_costs_a_fixed_number_of_queries(client):
    """The private page, rendered for every request: the reader and their session are
    read once, and reading writes nothing (the session list is refreshed at most every
    few minutes, masthead.readers.session_activity)."""
    from masthead.access.api import Level
    from masthead.readers.tests.factories import ReaderFactory

    make_home()
    small = _article_of_size(1)
    large = _article_of_size(5)
    for page in (small, large):
        page.access_level = Level.REGISTRATION
        page.save_revision().publish()
    client.force_login(ReaderFactory())
    # Counted warm, as a reader's second page is: the first view after sign-in records
    # the session's activity, and the route, the shell and the body are cached by then.
    counts = []
    for article in (small, large):
        client.get(article.url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(article.url)
        assert "article__gated" in response.content.decode()  # the reader got it all
        writes = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith("SELECT")]
        assert writes == []
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= SIGNED_IN_MAX_QUERIES
