"""When a conversation takes comments (pure: pages and settings as plain objects)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from masthead.community.closing import closes_at, is_open
from masthead.community.models import CommunitySettings

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def page(**changes):
    values = {"live": True, "first_published_at": NOW - timedelta(days=3), "comments_open": True}
    return SimpleNamespace(**{**values, **changes})


def test_open_until_the_set_days_after_first_publication() -> None:
    config = CommunitySettings(close_after_days=30)
    assert closes_at(page(), config) == NOW + timedelta(days=27)
    assert is_open(page(), None, config, NOW)
    assert not is_open(page(), None, config, NOW + timedelta(days=27))


def test_zero_days_never_closes() -> None:
    config = CommunitySettings(close_after_days=0)
    assert closes_at(page(), config) is None
    assert is_open(page(first_published_at=NOW - timedelta(days=9999)), None, config, NOW)


def test_an_editor_closes_by_the_conversation_or_the_page_switch() -> None:
    config = CommunitySettings()
    assert not is_open(page(), SimpleNamespace(closed=True), config, NOW)
    assert not is_open(page(comments_open=False), None, config, NOW)
    assert is_open(page(), SimpleNamespace(closed=False), config, NOW)


def test_a_page_that_is_not_live_takes_no_comments() -> None:
    assert not is_open(page(live=False), None, CommunitySettings(), NOW)


def test_a_page_type_without_the_switch_is_open() -> None:
    bare = SimpleNamespace(live=True, first_published_at=NOW)
    assert is_open(bare, None, CommunitySettings(), NOW)
