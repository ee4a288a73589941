"""Cache tags on the app's responses (masthead.core.cache_tags), without a cache:
public pages are filed under what they show, private ones carry no tag, and a change
purges the tags the pages carry.
"""

from __future__ import annotations

import pytest
from django.test import Client

from masthead.access import purge
from masthead.access.tests.conftest import build_newsroom, make_reader
from masthead.content.models import ArticlePage
from masthead.content.tests.factories import AuthorFactory, make_article, make_home, make_section

pytestmark = pytest.mark.django_db


def tags_of(response) -> set[str]:
    assert response["xkey"] == response["Surrogate-Key"]
    return set(response["xkey"].split())


@pytest.fixture
def sent(settings, monkeypatch) -> list[list[str]]:
    """The tag lists each purge enqueues, in order (with a Varnish to purge configured,
    the purge task recorded instead of run)."""
    settings.VARNISH_PURGE_URLS = ["http://127.0.0.1:9/"]
    enqueued: list[list[str]] = []

    class Recorder:
        @staticmethod
        def enqueue(tags: list[str]) -> None:
            enqueued.append(tags)

    monkeypatch.setattr(purge, "xkey_purge", Recorder)
    return enqueued


def test_public_pages_carry_the_tags_of_what_they_show(client):
    home = make_home()
    section = make_section(parent=home, title="Harbour")
    author = AuthorFactory()
    article = make_article(section=section, authors=[author], hero=False)

    page = client.get(article.url)
    assert "public" in page["Cache-Control"]
    assert tags_of(page) >= {
        "site",
        f"page-{article.pk}",
        f"section-{section.pk}",
        f"author-{author.pk}",
    }
    listing = client.get(section.url)
    assert tags_of(listing) >= {f"listing-{section.pk}", f"page-{article.pk}"}
    front = client.get(home.url)
    assert tags_of(front) >= {"front", f"listing-{home.pk}", f"page-{article.pk}"}
    byline = client.get(f"/authors/{author.slug}/")
    assert tags_of(byline) >= {f"listing-author-{author.pk}", f"page-{article.pk}"}


def test_private_responses_carry_no_tags():
    newsroom = build_newsroom()
    client = Client()
    client.force_login(make_reader())
    for page in (newsroom.free, newsroom.registration):
        response = client.get(page.url)
        assert "private" in response["Cache-Control"]
        assert not response.has_header("xkey") and not response.has_header("Surrogate-Key")


def test_a_change_purges_the_tags_its_pages_carry(sent, django_capture_on_commit_callbacks):
    home = make_home()
    section = make_section(parent=home, title="Harbour")
    author = AuthorFactory()
    article = make_article(section=section, authors=[author], hero=False)
    shown_on = tags_of(Client().get(article.url)) | tags_of(Client().get(section.url))

    sent.clear()
    article = ArticlePage.objects.get(pk=article.pk)
    with django_capture_on_commit_callbacks(execute=True):
        article.save_revision().publish()
    purged = set(sent[-1])
    assert {f"page-{article.pk}", f"listing-{section.pk}", f"listing-{home.pk}", "front"} <= purged
    assert f"listing-author-{author.pk}" in purged
    assert f"page-{article.pk}" in shown_on and f"listing-{section.pk}" in shown_on

    # Editing the author's snippet purges their byline on every article.
    with django_capture_on_commit_callbacks(execute=True):
        author.save()
    assert f"author-{author.pk}" in sent[-1]


def test_moving_an_article_purges_the_listings_it_left_and_joined(
    sent, django_capture_on_commit_callbacks
):
    home = make_home()
    old = make_section(parent=home, title="Harbour")
    new = make_section(parent=home, title="Weather")
    article = make_article(section=old, hero=False)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        article.move(new, pos="last-child")
    purged = set().union(*sent)
    assert {f"page-{article.pk}", f"listing-{old.pk}", f"listing-{new.pk}", "front"} <= purged
