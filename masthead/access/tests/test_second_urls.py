"""The same text at a second address keeps the access level it had.

Wagtail can put an article's text at another URL in four ways: an alias ("copy as
alias"), a copy, a move and a revision restored. An alias follows its original's level,
always; a copy or a move into a section with a freer default keeps the level the text
had (pinned as the article's own choice, which editors can change in its settings).
Each case is served to an anonymous reader, who must not get the withheld text.
"""

from __future__ import annotations

import pytest
from wagtail.actions.move_page import MovePageAction

from masthead.access.api import Level
from masthead.content.models import ArticlePage, SectionPage
from masthead.content.tests.factories import make_section

from .conftest import MARKER

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom(shared_newsroom):
    # Built once for the module; each test gets fresh objects (conftest.shared_newsroom).
    return shared_newsroom


def _free_section(newsroom) -> SectionPage:
    return newsroom.free.get_parent().specific


def _get_anonymously(client, page) -> str:
    response = client.get(page.url)
    assert response.status_code == 200
    return response.content.decode()


def test_an_alias_in_a_free_section_keeps_its_originals_level(client, newsroom):
    alias = newsroom.premium.create_alias(parent=_free_section(newsroom), update_slug="alias")

    alias = ArticlePage.objects.get(pk=alias.pk)
    assert alias.effective_access == Level.PREMIUM
    html = _get_anonymously(client, alias)
    assert "A premium story" in html
    assert MARKER not in html


def test_an_alias_follows_its_original_when_the_original_changes_level(newsroom):
    original = newsroom.registration
    alias = original.create_alias(parent=_free_section(newsroom), update_slug="alias")

    original.access_level = Level.PREMIUM
    original.save_revision().publish()
    assert ArticlePage.objects.get(pk=alias.pk).effective_access == Level.PREMIUM

    original.access_level = ""
    original.save_revision().publish()
    section = original.get_parent().specific
    section.default_access_level = Level.PREMIUM
    section.save()
    assert ArticlePage.objects.get(pk=original.pk).effective_access == Level.PREMIUM
    assert ArticlePage.objects.get(pk=alias.pk).effective_access == Level.PREMIUM


def test_an_alias_whose_original_is_deleted_keeps_the_level_it_had(client, newsroom):
    alias = newsroom.premium.create_alias(parent=_free_section(newsroom), update_slug="alias")
    newsroom.premium.delete()

    alias = ArticlePage.objects.get(pk=alias.pk)
    assert alias.alias_of_id is None
    alias.save_revision().publish()
    alias.refresh_from_db()
    assert alias.effective_access == Level.PREMIUM
    assert MARKER not in _get_anonymously(client, alias)


def test_a_published_copy_in_a_free_section_keeps_the_level_it_had(client, newsroom):
    copy = newsroom.premium.copy(
        to=_free_section(newsroom), update_attrs={"slug": "copied"}, keep_live=True
    )

    copy = ArticlePage.objects.get(pk=copy.pk)
    assert copy.live
    assert copy.effective_access == Level.PREMIUM
    assert copy.access_level == Level.PREMIUM  # shown in its settings, editable
    assert MARKER not in _get_anonymously(client, copy)


def test_a_copy_that_the_editor_opens_up_becomes_free(newsroom):
    copy = newsroom.premium.copy(to=_free_section(newsroom), update_attrs={"slug": "copied"})
    copy = ArticlePage.objects.get(pk=copy.pk)

    copy.access_level = ""
    copy.save_revision().publish()
    assert ArticlePage.objects.get(pk=copy.pk).effective_access == Level.FREE


def test_a_moved_article_keeps_the_level_it_had(client, newsroom):
    MovePageAction(newsroom.premium, _free_section(newsroom), pos="last-child").execute()

    moved = ArticlePage.objects.get(pk=newsroom.premium.pk)
    assert moved.section_id == _free_section(newsroom).pk
    assert moved.effective_access == Level.PREMIUM
    assert MARKER not in _get_anonymously(client, moved)


def test_a_moved_article_keeps_its_level_when_it_is_next_published(newsroom):
    newsroom.premium.move(_free_section(newsroom), pos="last-child")

    moved = ArticlePage.objects.get(pk=newsroom.premium.pk)
    moved.save_revision().publish()
    assert ArticlePage.objects.get(pk=moved.pk).effective_access == Level.PREMIUM


def test_an_older_revision_restored_after_a_move_keeps_the_level(client, newsroom):
    article = ArticlePage.objects.get(pk=newsroom.premium.pk)
    old_revision = article.latest_revision
    article.move(_free_section(newsroom), pos="last-child")

    # The old revision remembers the premium section and no level of its own.
    old_revision.publish()

    restored = ArticlePage.objects.get(pk=article.pk)
    assert restored.effective_access == Level.PREMIUM
    assert MARKER not in _get_anonymously(client, restored)


def test_a_new_article_follows_its_section_default(newsroom):
    from masthead.content.tests.factories import make_article

    section = make_section(access=Level.REGISTRATION)
    assert make_article(section=section).effective_access == Level.REGISTRATION


def test_the_migration_corrects_aliases_made_before_they_followed_their_original(newsroom):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("masthead.content.migrations.0002_aliases_follow_original")
    alias = newsroom.premium.create_alias(parent=_free_section(newsroom), update_slug="alias")
    ArticlePage.objects.filter(pk=alias.pk).update(access_level="", effective_access="free")

    migration.aliases_follow_original(apps, None)
    assert ArticlePage.objects.get(pk=alias.pk).effective_access == Level.PREMIUM
