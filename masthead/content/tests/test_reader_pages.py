"""What an anonymous reader gets from each public route, including from bad input."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from masthead.access.api import Level

from .factories import AuthorFactory, make_article, make_home, make_section, paragraph

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom():
    home = make_home()
    world = make_section(parent=home, title="World")
    europe = make_section(parent=world, title="Europe")
    author = AuthorFactory(name="Mara Quill", slug="mara-quill")
    story = make_article(
        section=europe,
        title="Harbour talks resume",
        authors=[author],
        tags=["Harbours", "Diplomacy"],
        body=[paragraph("The talks resumed at dawn."), paragraph("Both sides spoke.")],
    )
    older = make_article(section=world, title="Older story", age=timedelta(days=5))
    return {
        "home": home,
        "world": world,
        "europe": europe,
        "author": author,
        "story": story,
        "older": older,
    }


def test_article_shows_headline_byline_dateline_body_and_tags(client, newsroom):
    response = client.get(newsroom["story"].url)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 id="headline" class="article__headline">Harbour talks resume</h1>' in html
    assert 'href="/authors/mara-quill/"' in html
    assert "The talks resumed at dawn." in html
    assert 'href="/tags/harbours/"' in html
    assert '<time datetime="' in html


def test_article_carries_structured_data_and_social_tags(client, newsroom):
    html = client.get(newsroom["story"].url).content.decode()
    assert '"@type": "NewsArticle"' in html
    assert '"isAccessibleForFree": true' in html
    assert '<meta property="og:title" content="Harbour talks resume">' in html
    assert 'name="twitter:card"' in html
    assert f'<link rel="canonical" href="{newsroom["story"].full_url}">' in html


def test_json_ld_cannot_break_out_of_its_script(client, newsroom):
    story = newsroom["story"]
    story.title = "</script><script>alert(1)</script>"
    story.save_revision().publish()
    html = client.get(story.url).content.decode()
    assert "</script><script>alert(1)" not in html


def test_front_page_leads_with_latest_and_has_a_rail_per_section(client, newsroom):
    html = client.get("/").content.decode()
    assert "Harbour talks resume" in html
    assert ">World</a></h2>" in html
    assert "Older story" in html


def test_editors_can_pick_the_lead_story(client, newsroom):
    home = newsroom["home"]
    home.lead_story = newsroom["older"]
    home.save_revision().publish()
    html = client.get("/").content.decode()
    lead = html.split('class="lead"')[1].split("</section>")[0]
    assert "Older story" in lead


def test_section_lists_its_own_and_nested_articles(client, newsroom):
    html = client.get(newsroom["world"].url).content.decode()
    assert "Harbour talks resume" in html and "Older story" in html


def test_author_and_tag_pages_list_articles(client, newsroom):
    assert "Harbour talks resume" in client.get("/authors/mara-quill/").content.decode()
    assert "Harbour talks resume" in client.get("/tags/harbours/").content.decode()
    assert client.get("/authors/nobody/").status_code == 404
    assert client.get("/tags/nothing-here/").status_code == 404


@pytest.mark.parametrize("page", ["abc", "-1", "0", "", "1.5", "%00"])
def test_junk_page_numbers_read_as_the_first_page(client, newsroom, page):
    for url in (newsroom["world"].url, "/authors/mara-quill/", "/tags/harbours/"):
        assert client.get(url, {"page": page}).status_code == 200


def test_page_past_the_end_is_a_designed_404(client, newsroom):
    response = client.get(newsroom["world"].url, {"page": "99999"})
    assert response.status_code == 404
    assert "find that page" in response.content.decode()


def test_unknown_url_gets_the_designed_404(client, newsroom):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "find that page" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "harbour",
        "x" * 10_000,
        "\"'; DROP TABLE wagtailcore_page; --",
        "<script>alert('x')</script>",
        "' OR 1=1 --",
        'AND OR NOT ( ) " * :',
        "\u0000null byte",
    ],
)
@pytest.mark.usefixtures("search_index")
def test_search_is_safe_with_any_input(client, newsroom, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert('x')</script>" not in html


@pytest.mark.usefixtures("search_index")
def test_search_finds_articles_and_pages_results(client, newsroom):
    html = client.get("/search/", {"q": "harbour"}).content.decode()
    assert "Harbour talks resume" in html
    assert client.get("/search/", {"q": "harbour", "page": "999"}).status_code == 404
    assert client.get("/search/", {"q": "harbour", "page": "abc"}).status_code == 200


def _parse(response) -> ET.Element:
    assert response.status_code == 200
    return ET.fromstring(response.content)


def test_feeds_are_valid_xml_without_bodies(client, newsroom):
    for url in (
        "/feeds/rss/",
        "/feeds/atom/",
        newsroom["world"].url + "rss/",
        newsroom["world"].url + "atom/",
    ):
        response = client.get(url)
        root = _parse(response)
        assert "Harbour talks resume" in response.content.decode()
        assert "The talks resumed at dawn." not in response.content.decode()
        assert root.tag in ("rss", "{http://www.w3.org/2005/Atom}feed")


def test_sitemaps_are_valid_xml(client, newsroom):
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    urls = [u.text for u in _parse(client.get("/sitemap.xml")).iter(f"{ns}loc")]
    assert any(u.endswith(newsroom["story"].url) for u in urls)
    news = _parse(client.get("/news-sitemap.xml"))
    titles = [t.text for t in news.iter("{http://www.google.com/schemas/sitemap-news/0.9}title")]
    assert "Harbour talks resume" in titles
    assert "Older story" not in titles  # older than two days


def test_section_default_access_flows_to_articles(newsroom):
    premium = make_section(title="Investigations", access=Level.PREMIUM)
    follows = make_article(section=premium)
    overrides = make_article(section=premium, access_level=Level.FREE)
    assert follows.effective_access == Level.PREMIUM
    assert overrides.effective_access == Level.FREE
    premium.default_access_level = Level.REGISTRATION
    premium.save_revision().publish()
    follows.refresh_from_db()
    overrides.refresh_from_db()
    assert follows.effective_access == Level.REGISTRATION
    assert overrides.effective_access == Level.FREE


def test_robots_txt_points_at_the_sitemaps(client, newsroom):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in body
