"""What the demo newsroom contains: sections, long varied articles, every kind of block,
authors, newsletters, the editor, a gated story pasted into one block, an events listing
with upcoming events.

Invariant: the demo is loaded once for the module (`build_once`: rolled back at the end);
each test runs in a savepoint on top of it, so the tests that load again (twice, a rerun
after an editor's changes) see the first load and leave nothing behind. The production
refusals, which must start from an empty database, are in test_demo.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.html import strip_tags
from wagtail.models import Page, Site

from masthead.content.blocks import parse_video_url
from masthead.content.models import (
    ArticlePage,
    Author,
    HomePage,
    InfoPage,
    SectionPage,
)
from masthead.demo.content import LEAD_STORY_SLUG, NEWSROOM_NAME
from masthead.demo.loader import load_demo_content
from masthead.events.models import EventIndexPage, EventPage
from masthead.newsletters import selectors
from masthead.newsletters.models import Newsletter
from masthead.readers.models import LegalPage, User

from .test_demo import SCALE, paragraph_words, snapshot

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Loaded:
    output: str
    # Wagtail's default site as migrations made it, before the demo was loaded.
    wagtail_default_site: int


@pytest.fixture(scope="module")
def demo_once(build_once: Any) -> Iterator[Loaded]:
    """The demo loaded once for the module (rolled back at the end)."""
    with build_once():
        before = Site.objects.get(is_default_site=True).pk
        out = StringIO()
        call_command("load_demo", image_scale=SCALE, stdout=out)
        yield Loaded(output=out.getvalue(), wagtail_default_site=before)
    Site.clear_site_root_paths_cache()


@pytest.fixture
def media(demo_once: Loaded, settings: Any) -> Iterator[Path]:
    yield Path(settings.MEDIA_ROOT)
    # Each test's writes roll back; Wagtail's cached site paths must go too.
    Site.clear_site_root_paths_cache()


def test_loading_twice_changes_nothing(demo_once: Loaded, media: Path) -> None:
    before = snapshot(media)
    out = StringIO()
    call_command("load_demo", image_scale=SCALE, stdout=out)
    assert snapshot(media) == before
    assert "nothing changed" in out.getvalue()


def test_the_default_site_is_the_newsroom(demo_once: Loaded) -> None:
    # Wagtail's own default site is kept (site settings hang off it), not replaced.
    site = Site.objects.get(is_default_site=True)
    assert site.pk == demo_once.wagtail_default_site
    assert (site.hostname, site.port, site.site_name) == ("127.0.0.1", 80, NEWSROOM_NAME)
    home = site.root_page.specific
    assert isinstance(home, HomePage)
    assert home.title == NEWSROOM_NAME
    assert home.live
    # Wagtail's "Welcome" page is gone: the home page is the root's only child.
    assert list(Page.get_first_root_node().get_children()) == [home.page_ptr]
    assert Site.objects.count() == 1
    assert home.lead_story is not None
    assert home.lead_story.slug == LEAD_STORY_SLUG


def test_a_rerun_keeps_editors_changes_and_restores_only_what_is_missing(
    demo_once: Loaded, media: Path
) -> None:
    editor = User.objects.get(email="editor@masthead.example")
    editor.set_password("changed-by-the-editor")
    editor.save()
    home = HomePage.objects.get()
    home.lead_story = None
    home.save_revision().publish()
    article = ArticlePage.objects.get(slug="kestovia-election")
    article.title = "An editor's better headline"
    article.save_revision().publish()
    ArticlePage.objects.get(slug="tidelines-exhibition").delete()
    Site.objects.filter(is_default_site=True).update(site_name="The Ledger")
    articles_before = ArticlePage.objects.count()

    summary = load_demo_content(image_scale=SCALE)

    assert summary.created == {"articles": 1}
    assert ArticlePage.objects.count() == articles_before + 1
    assert ArticlePage.objects.get(slug="kestovia-election").title == "An editor's better headline"
    assert HomePage.objects.get().lead_story is None
    assert User.objects.get(pk=editor.pk).check_password("changed-by-the-editor")
    assert Site.objects.get(is_default_site=True).site_name == "The Ledger"


def test_sections_with_a_nested_one(demo_once: Loaded) -> None:
    home = HomePage.objects.get()
    top = SectionPage.objects.child_of(home).live()
    assert top.count() >= 3
    assert all(section.show_in_menus for section in top)
    nested = [
        s for s in SectionPage.objects.live() if isinstance(s.get_parent().specific, SectionPage)
    ]
    assert nested, "expected a sub-section such as World > Europe"
    assert {s.default_access_level for s in SectionPage.objects.all()} >= {
        "free",
        "registration",
        "premium",
    }


def test_articles_are_long_varied_and_dated(demo_once: Loaded) -> None:
    articles = list(ArticlePage.objects.live())
    assert len(articles) >= 12
    now = timezone.now()
    for article in articles:
        assert paragraph_words(article) >= 600, article.slug
        assert article.standfirst and article.hero_image and article.hero_caption
        assert article.authors, article.slug
        assert list(article.tags.all()), article.slug
        assert article.section == article.get_parent().specific
        assert now - timedelta(days=10) <= article.first_published_at <= now
        # The whole body validates as an editor's save would.
        article.body.stream_block.clean(article.body)
    assert len({a.first_published_at for a in articles}) == len(articles)
    assert sum(now - a.first_published_at < timedelta(days=1) for a in articles) >= 2
    assert {a.effective_access for a in articles} == {"free", "registration", "premium"}
    overrides = [a for a in articles if a.access_level]
    assert overrides and any(not a.access_level for a in articles)
    assert any(a.access_level != a.section.default_access_level for a in overrides)
    assert len({a.section_id for a in articles}) >= 4


def test_bodies_use_every_kind_of_block(demo_once: Loaded) -> None:
    blocks = [block for article in ArticlePage.objects.all() for block in article.body]
    kinds = {block.block_type for block in blocks}
    assert kinds >= {
        "paragraph",
        "crosshead",
        "pull_quote",
        "image",
        "video",
        "related_story",
        "fact_box",
        "signup_box",
        "wall_marker",
    }
    for block in blocks:
        if block.block_type == "image":
            assert block.value["image"] is not None
            assert block.value["caption"] and block.value["credit"]
        elif block.block_type == "video":
            assert parse_video_url(block.value["url"])[0] == "youtube"
        elif block.block_type == "related_story":
            assert block.value["page"].live
        elif block.block_type == "signup_box":
            assert block.value.found is not None, "the box's newsletter is not open"


def test_authors_and_info_pages(demo_once: Loaded) -> None:
    authors = list(Author.objects.all())
    assert len(authors) >= 3
    for author in authors:
        assert author.bio and author.role
        assert author.photo is not None and author.photo.width == author.photo.height
    home = HomePage.objects.get()
    titles = set(Page.objects.child_of(home).live().values_list("title", flat=True))
    assert titles >= {"Terms of use", "Cookie policy", "Privacy notice", "About us"}
    assert all(len(strip_tags(page.body).split()) >= 60 for page in InfoPage.objects.all())
    legal = {page.document: page for page in LegalPage.objects.live()}
    assert set(legal) == {"terms", "cookies", "privacy"}
    assert all(len(strip_tags(page.body).split()) >= 60 for page in legal.values())


def test_newsletters_are_offered(demo_once: Loaded) -> None:
    assert Newsletter.objects.filter(is_offered=True).count() >= 3


def test_the_demo_editor(demo_once: Loaded, settings: Any) -> None:
    editor = User.objects.get(email="editor@masthead.example")
    assert editor.is_superuser and editor.is_staff
    assert editor.first_name and editor.last_name
    # MASTHEAD_DEMO_PASSWORD (settings.py) when it was loaded; test_demo.py loads with
    # one of a newsroom's own.
    assert editor.check_password(settings.MASTHEAD_DEMO_PASSWORD)


def test_the_demo_editor_receives_the_newsletters_they_choose(demo_once: Loaded) -> None:
    # Issues go only to a proved address: the editor's is verified, so choosing a
    # newsletter in the demo brings its issues.
    editor = User.objects.get(email="editor@masthead.example")
    assert selectors.verified_address(editor) == "editor@masthead.example"


def test_the_demo_has_a_gated_story_pasted_into_one_block_and_its_wall_holds(demo_once, client):
    from bs4 import BeautifulSoup

    pasted = [
        a
        for a in ArticlePage.objects.live()
        if a.effective_access != "free" and [b.block_type for b in a.body] == ["paragraph"]
    ]
    assert pasted, "no gated demo story is written as one block"
    article = pasted[0]
    paragraphs = [
        p.get_text()
        for p in BeautifulSoup(article.body[0].value.source, "html.parser").find_all("p")
    ]
    assert len(paragraphs) >= 6
    text = " ".join(
        BeautifulSoup(client.get(article.url).content, "html.parser").get_text().split()
    )
    assert " ".join(paragraphs[0].split())[:60] in text
    for withheld in paragraphs[3:]:
        assert " ".join(withheld.split())[:60] not in text


def test_a_review_offers_the_open_newsletter_in_a_box(demo_once, client):
    open_list = Newsletter.objects.get(audience=Newsletter.Audience.OPEN)
    [article] = [
        a for a in ArticlePage.objects.live() if any(b.block_type == "signup_box" for b in a.body)
    ]
    page = client.get(article.url).content.decode()
    assert f'data-src="/newsletters/join/{open_list.slug}/box/"' in page
    assert "Reviews like this, every Saturday" in page


def test_the_front_page_offers_the_open_newsletter_under_the_lead(demo_once, client):
    open_list = Newsletter.objects.get(audience=Newsletter.Audience.OPEN)
    page = client.get("/").content.decode()
    lead, box = page.index('class="lead"'), page.index('class="signup-box"')
    assert lead < box < page.index('class="rail"')
    assert f'data-src="/newsletters/join/{open_list.slug}/box/"' in page
    assert open_list.name in page[box:]
    assert "masthead/js/signup-box" in page and "masthead/css/forms" in page


def test_the_demo_lists_upcoming_events_at_events_linked_from_every_page(demo_once, client):
    from bs4 import BeautifulSoup

    index = EventIndexPage.objects.live().get()
    assert index.url == "/events/"
    assert index.get_parent().specific_class is HomePage
    events = list(EventPage.objects.live().child_of(index))
    assert len(events) >= 2
    now = timezone.now()
    for event in events:
        assert now < event.starts_at < event.ends_at <= now + timedelta(days=60)
        assert event.standfirst and event.description and event.join_url
        assert event.speaker_list and all(s.display_name for s in event.speaker_list)
        assert client.get(event.url).status_code == 200

    listing = BeautifulSoup(client.get("/events/").content, "html.parser")
    linked = {a["href"] for a in listing.select(".event-card__title a")}
    assert linked == {event.url for event in events}
    front = BeautifulSoup(client.get("/").content, "html.parser")
    assert "/events/" in {a.get("href") for a in front.select("footer a")}
    # The index is switched on for the front page: the next events are listed there too.
    assert {event.url for event in events} <= {a.get("href") for a in front.select("a")}
