"""Visitors' free registration articles (a setting, 0 by default)."""

from __future__ import annotations

import pytest
from wagtail.models import Site

from masthead.access.models import AccessSettings
from masthead.access.selectors import FREE_READS_COOKIE
from masthead.content.tests.factories import make_article

from .conftest import MARKER, gated_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom(shared_newsroom):
    # Built once for the module; each test gets fresh objects (conftest.shared_newsroom).
    return shared_newsroom


@pytest.fixture
def two_free(newsroom):
    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    config.anonymous_registration_reads = 2
    config.save()
    section = newsroom.registration.section
    return [newsroom.registration] + [
        make_article(section=section, body=gated_body(), hero=False) for _ in range(2)
    ]


def _full(client, article) -> bool:
    return MARKER in client.get(article.url).content.decode()


def test_visitors_read_the_set_number_then_meet_the_wall(client, two_free):
    first, second, third = two_free
    response = client.get(first.url)
    assert MARKER in response.content.decode()
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert FREE_READS_COOKIE in response.cookies
    assert _full(client, second)
    assert not _full(client, third)
    assert _full(client, first)  # already read this month


def test_visitors_never_get_premium_articles_this_way(client, two_free, newsroom):
    assert not _full(client, newsroom.premium)


def test_a_tampered_free_reads_cookie_grants_nothing(client, two_free):
    client.cookies[FREE_READS_COOKIE] = "2026-01:1,2:forged-signature"
    assert not _full(client, two_free[0])


def test_head_requests_use_no_free_read(client, two_free):
    response = client.head(two_free[0].url)
    assert FREE_READS_COOKIE not in response.cookies


def test_the_free_reads_cookie_is_secure_wherever_the_session_cookie_is(client, two_free, settings):
    settings.SESSION_COOKIE_SECURE = True  # as production sets it
    cookie = client.get(two_free[0].url, secure=True).cookies[FREE_READS_COOKIE]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
