"""The withheld text never leaves the server for a reader without access.

A marker sentence is planted deep in a premium article. Every reader-facing route is
requested: the URL resolver's patterns and every page in the tree (with each routable
page's sub-routes), so a route added later is covered without editing this test; plus
alternate representations, trailing-slash variants, HEAD, odd hosts and error pages.
They are requested anonymously and as a registered reader with no allowance left, and
the marker must appear in no response body or header.

The marker sits in articles shaped as the demo's (one paragraph per block) and as
editors shape them: a whole story pasted into one paragraph block, and a story with
fewer paragraph blocks than the lead-in (a crosshead, a list, a fact box between short
paragraphs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.models import Page, Site

from masthead.access.models import AccessSettings
from masthead.content.models import Author
from masthead.content.tests.factories import make_article, paragraph

from .conftest import Newsroom, build_newsroom, make_reader

pytestmark = pytest.mark.django_db

SECRET = "Vellichor-sentinel the lighthouse keeper buried the logbook beneath the seventh step"
SECRET_FRAGMENTS = [SECRET, "seventh step", "Vellichor-sentinel"]
SEARCH_WORDS = "lighthouse logbook"  # words of the secret, but not the secret itself

# Admin areas are for staff, not readers: their entry points are requested (they must
# send a reader to the login page), their hundreds of inner routes are not.
STAFF_PREFIXES = ("admin/", "django-admin/")
ALTERNATES = [
    "?format=json",
    "?format=amp",
    "?amp=1",
    "?amp",
    "?print=1",
    "?output=embed",
    "?view=full",
    "?full=1",
    "?preview=1",
    "?is_preview=1",
    "amp/",
    "print/",
    "embed/",
    "json/",
    "oembed/",
    "feed/",
]


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _concrete(route: str, samples: dict[str, list[str]]) -> list[str]:
    """Sample paths for a route: converters and regex groups filled with real values."""
    route = route.replace("^", "").replace("$", "").replace("\\", "")
    paths = [route]
    for match in re.finditer(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)|\([^)]*\)", route):
        token = match.group(0)
        kind = match.group(1) or ("int" if "d+" in token else "str")
        values = samples.get(kind, ["x"])
        paths = [p.replace(token, v, 1) for p in paths for v in values]
    return ["/" + p.lstrip("/") for p in paths]


def reader_facing_urls(samples: dict[str, list[str]]) -> set[str]:
    urls: set[str] = set()
    for route, pattern in _walk(get_resolver().url_patterns):
        if getattr(pattern, "name", None) == "wagtail_serve":
            continue  # the page tree, below
        if route.startswith(STAFF_PREFIXES):
            urls.add("/" + route.split("/", 1)[0] + "/")
            continue
        urls.update(_concrete(route, samples))
    for page in Page.objects.live().specific():
        base = page.url
        if not base:
            continue
        urls.add(base)
        if isinstance(page, RoutablePageMixin):
            for sub in page.get_subpage_urls():
                for path in _concrete(str(sub.pattern), samples):
                    urls.add(base.rstrip("/") + path)
    return urls


@pytest.fixture(scope="module")
def secret_newsroom(search_index_module, build_once) -> Iterator[tuple[Newsroom, Any, list[Any]]]:
    """The newsroom, the secret premium article and the editor-shaped ones, built once
    for the module (the tests only read them; what a test writes is rolled back)."""
    with build_once():
        newsroom = build_newsroom()
        premium = make_article(
            section=newsroom.premium.section,
            title="The keeper's logbook",
            tags=["harbour", "lighthouse"],
            body=[
                *[paragraph(f"Opening paragraph {i} about the lighthouse.") for i in range(3)],
                paragraph("A paragraph after the lead-in."),
                {"type": "fact_box", "value": {"title": "Box", "body": f"<p>{SECRET}</p>"}},
                {"type": "pull_quote", "value": {"quote": SECRET, "attribution": "Keeper"}},
                paragraph("Filler. " * 40),
                paragraph(SECRET),
            ],
            hero=True,
        )
        # Search must find it by title, so the listing is exercised with it present.
        yield newsroom, premium, editor_shaped_articles(premium.section)


def editor_shaped_articles(section: Any) -> list[Any]:
    """Gated stories as editors write them, each ending with the secret."""
    pasted = make_article(
        section=section,
        title="The keeper's logbook, pasted whole",
        body=[
            {
                "type": "paragraph",
                "value": "".join(
                    [
                        *[f"<p>Pasted paragraph {i} about the lighthouse.</p>" for i in range(5)],
                        "<h2>The last entry</h2>",
                        "<ul><li>A list item.</li><li>Another one.</li></ul>",
                        f"<p>{SECRET}</p>",
                    ]
                ),
            }
        ],
        hero=False,
    )
    sparse = make_article(
        section=section,
        title="The keeper's logbook, in few blocks",
        body=[
            paragraph("A short opening."),
            {"type": "crosshead", "value": "What the keeper wrote"},
            {
                "type": "fact_box",
                "value": {"title": "The log", "body": "<ul><li>Kept daily</li></ul>"},
            },
            paragraph(SECRET),
        ],
        hero=False,
    )
    return [pasted, sparse]


def _fresh(page: Any) -> Any:
    """The page read again: a test adding children must not update (in memory) the
    module's shared instance, whose rows go back after the test."""
    return type(page).objects.get(pk=page.pk)


def _samples(newsroom, premium) -> dict[str, list[str]]:
    author = Author.objects.first()
    return {
        "int": [str(premium.pk), "1"],
        "slug": [author.slug, "harbour", "lighthouse"],
        "str": ["x"],
        "path": ["x"],
        "uuid": ["00000000-0000-0000-0000-000000000000"],
    }


def _clients(newsroom) -> dict[str, Client]:
    # A route that fails renders the 500 page, which is checked like any other response.
    anonymous = Client(raise_request_exception=False)
    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    config.premium_allowance = 1
    config.save()
    user = make_reader("exhausted@example.com")
    registered = Client(raise_request_exception=False)
    registered.force_login(user)
    registered.get(newsroom.others[0].url)  # the one premium article of the month
    return {"anonymous": anonymous, "registered-no-allowance": registered}


def _leaks(response: Any) -> list[str]:
    body = response.content.decode("utf-8", errors="replace") if response.content else ""
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    return [f for f in SECRET_FRAGMENTS if f in body or f in headers]


def test_the_marker_appears_in_no_route_for_readers_without_access(secret_newsroom, time_machine):
    # The clock stands still: a run that crossed into a new month would give the
    # exhausted reader a fresh allowance halfway through.
    time_machine.move_to(timezone.now(), tick=False)
    # masthead.urls, which mounts /access/ (the wall's endpoints, including the body
    # fragment used to continue in place) and the sign-up fragment under /accounts/.
    newsroom, premium, shaped = secret_newsroom
    samples = _samples(newsroom, premium)
    urls = reader_facing_urls(samples)
    article = premium.url
    for gated in [premium, *shaped]:
        urls |= {gated.url + alt for alt in ALTERNATES}
        urls |= {gated.url.rstrip("/"), gated.url.upper(), f"/access/articles/{gated.pk}/body/"}
    urls |= {
        article.rstrip("/"),
        article + "/",
        article.upper(),
        f"/search/?q={SEARCH_WORDS.replace(' ', '+')}",
        "/search/?q=keeper",
        "/feeds/rss/",
        "/feeds/atom/",
        "/sitemap.xml",
        "/news-sitemap.xml",
        "/no-such-page/",
        "/oembed/?url=" + article,
        "/api/v2/pages/",
        f"/api/v2/pages/{premium.pk}/",
        f"/access/articles/{premium.pk}/body/",
        "/accounts/signup/fragment/?next=" + article + "%23continue",
    }
    assert article in urls and "/feeds/rss/" in urls
    assert len(urls) > 40, "the route enumeration found suspiciously little"

    clients = _clients(newsroom)
    leaked: list[str] = []
    checked = 0
    for who, client in clients.items():
        for url in sorted(urls):
            for method in ("get", "head"):
                response = getattr(client, method)(url)
                checked += 1
                if found := _leaks(response):
                    leaked.append(f"{who} {method.upper()} {url} ({response.status_code}): {found}")
                if method == "get" and response.status_code in (301, 302, 308):
                    followed = client.get(url, follow=True)
                    if found := _leaks(followed):
                        leaked.append(f"{who} GET {url} -> redirect: {found}")
        # Odd hosts: once per gated article and reader (the answer does not depend on
        # which route was walked before).
        for gated in [premium, *shaped]:
            for host in ("localhost", "LOCALHOST", "[::1]", "evil.example"):
                response = client.get(gated.url, HTTP_HOST=host)
                checked += 1
                if found := _leaks(response):
                    leaked.append(f"{who} GET {gated.url} Host: {host}: {found}")
    assert checked > 160
    assert not leaked, "\n".join(leaked)


def test_the_marker_is_there_for_a_reader_with_access(secret_newsroom, reader_client):
    """The control: the same articles do carry the marker when the reader may read them,
    so the test above would catch a leak."""
    _newsroom, premium, shaped = secret_newsroom
    for article in [premium, *shaped]:
        assert SECRET in reader_client.get(article.url).content.decode()


@pytest.mark.parametrize("query", ["Vellichor", "seventh step", "Filler", "logbook seventh"])
def test_search_does_not_find_gated_articles_by_withheld_words(secret_newsroom, client, query):
    _newsroom, premium, _shaped = secret_newsroom
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert f'href="{premium.url}"' not in response.content.decode()


def test_search_finds_gated_articles_by_their_headline(secret_newsroom, client):
    _newsroom, premium, _shaped = secret_newsroom
    html = client.get("/search/", {"q": "logbook"}).content.decode()
    assert f'href="{premium.url}"' in html


@pytest.mark.parametrize("query", ["cat", "CAT", "ledge", "ledger cat"])
def test_a_withheld_word_inside_a_headline_word_does_not_find_the_article(
    secret_newsroom, client, query
):
    """Search matches whole words: "cat" (withheld) must not find an article because its
    headline says "education", nor "ledge" because the standfirst says "ledger"."""
    newsroom = secret_newsroom[0]
    gated = make_article(
        section=_fresh(newsroom.premium.section),
        title="Education in the ledger years",
        body=[*[paragraph(f"Opening {i}.") for i in range(3)], paragraph("The cat ledge.")],
        hero=False,
    )
    free = make_article(
        section=_fresh(newsroom.free.section),
        title="A free note",
        body=[paragraph("The cat sat on the ledge of the ledger.")],
        hero=False,
    )
    html = client.get("/search/", {"q": query}).content.decode()
    assert f'href="{free.url}"' in html  # the control: the words are searchable
    assert f'href="{gated.url}"' not in html


def test_a_gated_article_is_found_by_whole_words_of_its_standfirst(secret_newsroom, client):
    gated = secret_newsroom[0].premium
    html = client.get("/search/", {"q": f"{gated.standfirst.split()[0]} premium"}).content
    assert f'href="{gated.url}"' in html.decode()
