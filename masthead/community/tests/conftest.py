"""Fixtures for the community's tests: an article, verified readers, a poster."""

from __future__ import annotations

from typing import Any

import pytest

from masthead.community.services import posting
from masthead.readers.tests.factories import ReaderFactory
from rigs.newsroom import make_article


@pytest.fixture(scope="module")
def _shared_article(build_once: Any) -> Any:
    with build_once():
        yield make_article(hero=False).pk


@pytest.fixture
def article(_shared_article: int, db: None) -> Any:
    """An open article, built once per module; a fresh object for each test."""
    from masthead.content.models import ArticlePage

    return ArticlePage.objects.get(pk=_shared_article)


@pytest.fixture
def make_reader(db: None) -> Any:
    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("verified", True)
        return ReaderFactory(**kwargs)

    return make


_names = iter(range(1, 10**6))


def post(user: Any, page: Any, body: str = "", **kwargs: Any) -> Any:
    """Post as `user` (a display name is chosen the first time), skipping the rate limit's
    pause by posting each comment a little later than the last."""
    from masthead.community.models import Commenter

    kwargs.setdefault("reads_in_full", True)
    if not Commenter.objects.filter(user=user).exists():
        kwargs.setdefault("display_name", f"Reader {next(_names)}")
    return posting.comment_post(user=user, page=page, body=body or f"Text {next(_names)}", **kwargs)


def configure(**fields: Any) -> Any:
    """Change the default site's CommunitySettings (the article's site)."""
    from wagtail.models import Site

    from masthead.community.models import CommunitySettings

    config = CommunitySettings.for_site(Site.objects.get(is_default_site=True))
    for name, value in fields.items():
        setattr(config, name, value)
    config.save()
    return config


@pytest.fixture
def no_limits(article: Any) -> None:
    """Comments without the pause between them (most tests post several quickly)."""
    configure(comment_interval_seconds=0, comment_burst=1000, repeat_window_minutes=0)
