"""Anonymous pages are identical for every anonymous reader and cacheable by a CDN."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from masthead.content.tests.factories import make_article, make_home
from masthead.readers.tests.factories import ReaderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    make_home()
    return make_article()


@pytest.mark.parametrize("path", ["/", "article", "/search/?q=x", "/feeds/rss/"])
def test_anonymous_pages_are_public_and_do_not_vary_on_cookie(client, article, path):
    url = article.url if path == "article" else path
    response = client.get(url)
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies
    assert "csrfmiddlewaretoken" not in response.content.decode()


def test_anonymous_article_allows_stale_while_revalidate(client, article):
    cache_control = client.get(article.url)["Cache-Control"]
    assert "s-maxage=" in cache_control
    assert "stale-while-revalidate=" in cache_control
    assert "stale-if-error=" in cache_control


def test_two_anonymous_readers_get_identical_bytes(article):
    # Two readers, two clients: one client would carry the first response's cookies
    # into the second request. A signed-in reader's visit in between must change nothing.
    first = Client().get(article.url).content
    reader = ReaderFactory(first_name="Zebedee")
    signed_in = Client()
    signed_in.force_login(reader)
    signed_in.get(article.url)
    second = Client().get(article.url).content
    assert first == second
    assert b"Zebedee" not in second


def test_a_request_with_a_session_is_never_public(client, article):
    client.cookies[settings.SESSION_COOKIE_NAME] = "anything"
    cache_control = client.get(article.url)["Cache-Control"]
    assert "private" in cache_control and "public" not in cache_control


def test_healthz_is_never_cached(client, article):
    response = client.get("/healthz")
    assert response.content.startswith(b"ok\n")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
