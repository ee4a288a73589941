"""The shipped nginx and Varnish configurations (deploy/), running for real in front of
a live app server (rigs/edge.py), keep their promises:

- an anonymous article is fetched from the app once, then served from the cache;
- a signed-in reader is never served a cached page and never populates one;
- publishing, editing or unpublishing purges the article and the listings that show
  it (Varnish by xkey tag, nginx by the app asking for the addresses again);
- with the app stopped, cached pages keep being served and uncached ones get the
  designed error page;
- Varnish's grace is short while the app's /healthz answers, long while it is sick.

Each test runs once per cache (the `cache` fixture); both skip, saying what to install,
when the cache is missing, unless MASTHEAD_REQUIRE_EDGE=1 (CI), where they fail.
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client

from masthead.access.api import Level
from masthead.access.tests.conftest import MARKER, build_newsroom, make_reader
from masthead.content.models import ArticlePage
from masthead.content.tests.factories import make_article, make_home, make_section
from masthead.core.render_cache import pages_changed
from rigs import edge
from rigs.edge import Edge

from .conftest import REQUIRED

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ERROR_PAGE_TEXT = "We will be back in a moment"
# The Site the factories make is http://localhost/, so the purge's addresses and these
# requests name the same pages.
HOST = "localhost"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    def cache(self) -> str:
        """HIT, MISS, STALE, BYPASS... as the cache reported it."""
        return self.headers.get("x-cache-status") or self.headers.get("x-cache") or ""


def fetch(cache: Edge, path: str, cookie: str | None = None) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", cache.port, timeout=20)
    headers = {"Host": HOST, "Accept": "text/html"}
    if cookie:
        headers["Cookie"] = cookie
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read().decode("utf-8", errors="replace")
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        conn.close()


def session_cookie(reader) -> str:
    client = Client()
    client.force_login(reader)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def purge_through(settings, cache: Edge) -> None:
    """Point the app's purge hook at this cache, as a newsroom's env file would."""
    if cache.name == "varnish":
        settings.VARNISH_PURGE_URLS = [cache.url + "/"]
    else:
        settings.NGINX_REFRESH_URLS = [cache.url]


def test_an_anonymous_article_is_a_miss_then_a_hit(cache):
    home = make_home()
    article = make_article(section=make_section(parent=home, title="News"), hero=False)
    first = fetch(cache, article.url)
    assert first.status == 200, first.body[-2000:]
    assert first.cache() == "MISS"
    second = fetch(cache, article.url)
    assert second.status == 200
    assert second.cache() == "HIT"
    assert second.body == first.body
    # The tags are the caches' business, not the browser's.
    assert "xkey" not in second.headers and "surrogate-key" not in second.headers
    # Cookies the app does not need (analytics, a stale language choice) neither split
    # the cache nor make the page personal.
    third = fetch(cache, article.url, cookie="_ga=GA1.2.3; django_language=fr; csrftoken=abc")
    assert third.cache() == "HIT"


def test_a_signed_in_reader_is_never_served_a_cached_page_nor_stores_one(cache):
    newsroom = build_newsroom()
    path = newsroom.registration.url
    cookie = session_cookie(make_reader())

    # The reader goes first, so a careless cache would store their full page.
    mine = fetch(cache, path, cookie=cookie)
    assert mine.status == 200, mine.body[-2000:]
    assert MARKER in mine.body
    assert mine.cache() != "HIT"

    visitor = fetch(cache, path)
    assert visitor.cache() == "MISS", "the reader's request filled the cache"
    assert MARKER not in visitor.body
    assert fetch(cache, path).cache() == "HIT"

    # Now that the anonymous page is cached, the reader still gets their own.
    again = fetch(cache, path, cookie=f"_ga=1; {cookie}")
    assert MARKER in again.body
    assert again.cache() != "HIT"


def test_publishing_editing_and_unpublishing_purge_the_article_and_its_listings(cache, settings):
    home = make_home()
    section = make_section(parent=home, title="Harbour", access=Level.FREE)
    article = make_article(section=section, title="Harbour dues rise", hero=False)
    purge_through(settings, cache)
    pages = [article.url, section.url, home.url]
    for path in pages:
        assert fetch(cache, path).cache() == "MISS"
        reply = fetch(cache, path)
        assert reply.cache() == "HIT"
        assert "Harbour dues rise" in reply.body

    # A correction reaches every page that shows the headline.
    article = ArticlePage.objects.get(pk=article.pk)
    article.title = "Harbour dues rise, corrected"
    article.save_revision().publish()
    for path in pages:
        reply = fetch(cache, path)
        assert reply.status == 200
        assert "Harbour dues rise, corrected" in reply.body, (path, reply.cache())

    # A new article appears on the listings above it.
    make_article(section=section, title="Ferry timetable changes", hero=False)
    for path in (section.url, home.url):
        assert "Ferry timetable changes" in fetch(cache, path).body, path

    # An unpublished article leaves its page and the listings.
    article.unpublish()
    assert fetch(cache, article.url).status == 404
    for path in (section.url, home.url):
        assert "Harbour dues rise" not in fetch(cache, path).body, path


def test_with_the_app_stopped_cached_pages_are_served_and_others_get_the_error_page(
    cache, app_server, settings
):
    settings.PUBLIC_CACHE_SECONDS = 1
    newsroom = build_newsroom()
    cached = newsroom.free.url
    cookie = session_cookie(make_reader())
    assert fetch(cache, cached).cache() == "MISS"
    kept = fetch(cache, cached)
    assert kept.cache() == "HIT"

    app_server.stop()
    time.sleep(2)  # the page is past its s-maxage: only stale-if-error may serve it now

    stale = fetch(cache, cached)
    assert stale.status == 200, stale.body[-1000:]
    assert stale.body == kept.body

    uncached = fetch(cache, newsroom.premium.url)
    assert uncached.status == 503
    assert ERROR_PAGE_TEXT in uncached.body
    assert "no-store" in uncached.headers.get("cache-control", "")

    # A signed-in reader is not handed the anonymous copy either.
    reader = fetch(cache, cached, cookie=cookie)
    assert reader.status == 503
    assert ERROR_PAGE_TEXT in reader.body


def test_varnish_grace_is_short_while_the_app_is_healthy_and_long_while_it_is_sick(
    app_server, settings
):
    """The shipped grace while healthy is 10 s; the rig shortens it to 1 s so the test
    sees it end. Everything else is the shipped VCL."""
    try:
        varnish = edge.start_varnish(app_server.url, healthy_grace="1s")
    except edge.EdgeUnavailable as why:
        if REQUIRED:
            pytest.fail(f"MASTHEAD_REQUIRE_EDGE=1 but {why}")
        pytest.skip(str(why))
    try:
        settings.PUBLIC_CACHE_SECONDS = 1
        home = make_home()
        article = make_article(section=make_section(parent=home, title="Tides"), hero=False)
        wait_until(lambda: varnish.backend_health() == "healthy")
        assert fetch(varnish, article.url).cache() == "MISS"
        # Changed behind the purge's back, so only the end of the grace can show it
        # (the app's own render caches are told, as a save would: they purge nothing).
        ArticlePage.objects.filter(pk=article.pk).update(title="Tides turn, fresh copy")
        pages_changed()
        time.sleep(2.5)  # past the 1 s TTL and the 1 s healthy grace
        fresh = fetch(varnish, article.url)
        assert "Tides turn, fresh copy" in fresh.body, "served stale while the app was healthy"

        ArticlePage.objects.filter(pk=article.pk).update(title="Never seen while down")
        pages_changed()
        app_server.stop()
        wait_until(lambda: varnish.backend_health() == "sick")
        stale = fetch(varnish, article.url)
        assert stale.status == 200
        assert "Tides turn, fresh copy" in stale.body
    except BaseException:
        print(varnish.log())
        raise
    finally:
        varnish.stop()


def wait_until(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {seconds} s: {condition}")
        time.sleep(0.2)
