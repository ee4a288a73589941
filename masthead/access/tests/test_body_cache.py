"""The rendered article body is cached per revision, in parts, and never leaks.

The lead-in and the withheld rest are separate cache entries; which one a request reads
follows that request's access decision. These tests fill the cache as a reader with
access, then ask as readers without it; poison the entries to prove they are used; and
publish, edit and unpublish to prove an entry never outlives what it shows.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from wagtail.models import Site

from masthead.access.models import AccessSettings
from masthead.access.selectors import _render_key
from masthead.content.tests.factories import make_article, paragraph
from masthead.core.render_cache import FRAGMENT_PREFIX, pages_generation
from masthead.core.tests.cache_keys import stored_keys

from .conftest import LEAD, MARKER, make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom(shared_newsroom):
    # Built once for the module; each test gets fresh objects (conftest.shared_newsroom).
    return shared_newsroom


def _key(article, part: str) -> str:
    article.refresh_from_db()
    site = Site.objects.get(is_default_site=True)
    config = AccessSettings.objects.filter(site=site).first() or AccessSettings(site=site)
    base = _render_key(RequestFactory().get("/"), article, config)
    assert base is not None
    return f"{FRAGMENT_PREFIX}{base}:{pages_generation()}:{part}"


def _signed_in(email: str = "reader@example.com") -> Client:
    client = Client()
    client.force_login(make_reader(email=email))
    return client


def test_a_reader_without_access_never_gets_the_withheld_text_from_the_cache(newsroom):
    article = newsroom.registration
    full = _signed_in().get(article.url)
    assert MARKER in full.content.decode()
    # The reader with access filled both parts; only the rest holds the withheld text.
    assert MARKER in cache.get(_key(article, "rest"))
    assert MARKER not in cache.get(_key(article, "lead"))
    assert cache.get(_key(article, "whole")) is None
    anonymous = Client().get(article.url).content.decode()
    assert LEAD[0] in anonymous
    assert MARKER not in anonymous


def test_a_reader_over_the_allowance_never_gets_the_withheld_text_from_the_cache(newsroom):
    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    config.premium_allowance = 1
    config.save()
    article = newsroom.premium
    first = _signed_in("first@example.com")
    assert MARKER in first.get(article.url).content.decode()
    assert MARKER in cache.get(_key(article, "rest"))
    late = _signed_in("late@example.com")
    late.get(newsroom.others[0].url)  # uses the allowance up
    page = late.get(article.url).content.decode()
    assert LEAD[0] in page
    assert MARKER not in page


@pytest.mark.parametrize("part", ["lead", "rest"])
def test_the_cached_parts_are_what_is_served(newsroom, part):
    article = newsroom.registration
    reader = _signed_in()
    reader.get(article.url)
    cache.set(_key(article, part), "<p>Served-from-the-cache</p>")
    assert "Served-from-the-cache" in reader.get(article.url).content.decode()


def test_a_free_article_is_cached_whole(newsroom):
    article = newsroom.free
    Client().get(article.url)
    cache.set(_key(article, "whole"), "<p>Whole-from-the-cache</p>")
    assert "Whole-from-the-cache" in Client().get(article.url).content.decode()


def test_publishing_an_edit_renders_the_new_text_at_once(newsroom):
    article = newsroom.free
    old_key = _key(article, "whole")
    Client().get(article.url)
    assert cache.get(old_key) is not None
    article.body = [paragraph("The corrected text, after the edit.")]
    article.save_revision().publish()
    new_key = _key(article, "whole")
    assert new_key != old_key  # each revision has keys of its own
    page = Client().get(article.url).content.decode()
    assert "The corrected text, after the edit." in page


def test_a_draft_never_changes_what_readers_get(newsroom):
    article = newsroom.free
    before = Client().get(article.url).content.decode()
    article.body = [paragraph("An unpublished draft sentence.")]
    article.save_revision()  # a draft: the live page is unchanged
    after = Client().get(article.url).content.decode()
    assert "An unpublished draft sentence." not in after
    assert before.count("article__body") == after.count("article__body")


def test_an_edit_without_a_new_revision_is_not_served_from_an_old_entry(newsroom):
    # A script that saves the page directly keeps the revision id: the body's digest
    # in the key still tells the texts apart.
    article = newsroom.free
    Client().get(article.url)
    article.body = [paragraph("Saved by a script, without a revision.")]
    article.save()
    assert "Saved by a script, without a revision." in Client().get(article.url).content.decode()


def test_unpublishing_a_related_story_removes_it_from_cached_bodies(newsroom):
    other = newsroom.others[0]
    article = make_article(
        section=newsroom.free.section,
        title="With a related story",
        hero=False,
        body=[
            paragraph("Opening paragraph."),
            {"type": "related_story", "value": {"page": other.pk, "label": "See also"}},
        ],
    )
    assert other.title in Client().get(article.url).content.decode()
    other.unpublish()
    assert other.title not in Client().get(article.url).content.decode()


def test_unpublishing_the_article_itself_stops_serving_it(newsroom):
    article = newsroom.free
    assert Client().get(article.url).status_code == 200
    article.unpublish()
    assert Client().get(article.url).status_code == 404


def test_a_preview_never_has_a_cache_key(newsroom):
    article = newsroom.free
    article.refresh_from_db()
    request = RequestFactory().get("/")
    request.is_preview = True
    assert _render_key(request, article, AccessSettings()) is None


def test_no_page_shell_holds_withheld_text_and_each_reader_gets_their_own_part(newsroom):
    """The page around the body is a shell shared by every reader (core.page_shell):
    filled by readers with access first, it still holds no withheld text, and a reader
    without access served from it gets the lead-in and the wall only."""
    from masthead.core.page_shell import SHELL_PREFIX

    config = AccessSettings.for_site(Site.objects.get(is_default_site=True))
    config.premium_allowance = 1
    config.save()
    first = _signed_in("first@example.com")
    for article in (newsroom.registration, newsroom.premium):
        assert MARKER in first.get(article.url).content.decode()
    shells = stored_keys(SHELL_PREFIX)
    assert shells
    for key in shells:
        parts, _kept = cache.get(key)
        assert MARKER not in "".join(parts)
    over = _signed_in("second@example.com")
    over.get(newsroom.others[0].url)  # the allowance of one, used up
    for client, article in (
        (Client(), newsroom.registration),
        (Client(), newsroom.premium),
        (over, newsroom.premium),
    ):
        page = client.get(article.url).content.decode()
        assert LEAD[0] in page
        assert MARKER not in page
        assert "wall__heading" in page
