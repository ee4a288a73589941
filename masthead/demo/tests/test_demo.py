"""The demo newsroom: `load_demo` builds a complete site, and loading twice changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils.html import strip_tags
from taggit.models import Tag
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, PageLogEntry, Revision, Site

from masthead.content.models import (
    ArticleAuthor,
    ArticlePage,
    ArticleTag,
    Author,
    HomePage,
    InfoPage,
    SectionPage,
)
from masthead.demo import artwork
from masthead.demo.loader import load_demo_content
from masthead.readers.models import User

# Small drawings keep the test quick; the composition code is the same at any size.
SCALE = 0.1


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.MEDIA_ROOT = str(tmp_path)
    yield tmp_path
    # The database rolls back after each test; Wagtail's cached site paths must go too.
    Site.clear_site_root_paths_cache()


def paragraph_words(article: ArticlePage) -> int:
    return sum(
        len(strip_tags(block.value.source).split())
        for block in article.body
        if block.block_type == "paragraph"
    )


def snapshot(media: Path) -> dict[str, Any]:
    models = [
        Page,
        ArticlePage,
        SectionPage,
        InfoPage,
        HomePage,
        Author,
        ArticleAuthor,
        Tag,
        ArticleTag,
        Revision,
        PageLogEntry,
        Site,
        Collection,
        User,
        get_image_model(),
    ]
    state: dict[str, Any] = {m.__name__: m.objects.count() for m in models}
    state["files"] = sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())
    state["pages"] = list(
        Page.objects.order_by("path").values_list(
            "path",
            "slug",
            "title",
            "live",
            "first_published_at",
            "last_published_at",
            "latest_revision_id",
            "live_revision_id",
        )
    )
    state["sites"] = list(
        Site.objects.values_list("hostname", "port", "root_page_id", "site_name", "is_default_site")
    )
    return state


def test_drawings_are_deterministic() -> None:
    size = (160, 90)
    for style in artwork.STYLES:
        first = artwork.draw_scene(style, seed="a", size=size)
        assert first == artwork.draw_scene(style, seed="a", size=size)
        assert first != artwork.draw_scene(style, seed="b", size=size)
        assert first[:2] == b"\xff\xd8"  # a JPEG
    assert artwork.draw_portrait("Nell Ashdown", size=(40, 40)) == artwork.draw_portrait(
        "Nell Ashdown", size=(40, 40)
    )
    assert artwork.initials("Leah Osei-Barker") == "LB"


@pytest.mark.django_db
def test_load_demo_refuses_under_production_settings(settings: Any) -> None:
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match=r"production settings.*--force"):
        call_command("load_demo", image_scale=SCALE, verbosity=0)
    assert not User.objects.exists()
    assert not ArticlePage.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["masthead-demo", ""])
def test_forcing_the_demo_in_production_still_refuses_the_published_password(
    settings: Any, password: str
) -> None:
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    settings.MASTHEAD_DEMO_PASSWORD = password
    with pytest.raises(CommandError, match="published in the README"):
        call_command("load_demo", "--force", image_scale=SCALE, verbosity=0)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_forcing_the_demo_in_production_refuses_a_weak_password(settings: Any) -> None:
    from django.core.management.base import CommandError

    settings.PRODUCTION = True
    settings.MASTHEAD_DEMO_PASSWORD = "12345678"
    with pytest.raises(CommandError, match="too weak"):
        call_command("load_demo", "--force", image_scale=SCALE, verbosity=0)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_the_loader_itself_refuses_the_published_password_in_production(
    settings: Any, media: Path
) -> None:
    from masthead.demo.loader import DemoRefused

    settings.PRODUCTION = True
    with pytest.raises(DemoRefused):
        load_demo_content(image_scale=SCALE)
    assert not User.objects.filter(is_superuser=True).exists()


@pytest.mark.django_db
def test_forcing_the_demo_in_production_with_a_strong_password_of_ones_own(
    settings: Any, media: Path
) -> None:
    settings.PRODUCTION = True
    settings.MASTHEAD_DEMO_PASSWORD = "Tide-tables-8-lantern-quay"
    call_command("load_demo", "--force", image_scale=SCALE, verbosity=0)
    editor = User.objects.get(email="editor@masthead.example")
    assert editor.check_password("Tide-tables-8-lantern-quay")
