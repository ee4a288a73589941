"""Limits fail closed when the cache is away; racing likes count once."""

from __future__ import annotations

import socket
import threading

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from masthead.community.models import Comment, CommunitySettings, Like
from masthead.community.services import ratelimit, reactions
from masthead.community.services.errors import InvalidInput
from masthead.community.services.names import MAX_LENGTH, MIN_LENGTH, clean_display_name
from masthead.core.cache import CacheUnavailable
from rigs.newsroom import make_article

from .conftest import post


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_limits_fail_closed_when_redis_is_away() -> None:
    dead = {
        "default": {
            "BACKEND": "masthead.core.cache.DegradingRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"STRICT_KEY_PREFIXES": [ratelimit.PREFIX], "RETRY_SECONDS": 0},
        }
    }
    with override_settings(CACHES=dead), pytest.raises(CacheUnavailable):
        ratelimit.hit("comment", 1, CommunitySettings())


def test_the_production_cache_never_degrades_the_community_counters() -> None:
    options = settings.CACHES["default"].get("OPTIONS", {})
    if "STRICT_KEY_PREFIXES" not in options:
        pytest.skip("the local-memory cache (no Redis configured) cannot be away")
    assert ratelimit.PREFIX in options["STRICT_KEY_PREFIXES"]


@given(st.text(max_size=40))
def test_a_display_name_is_refused_or_follows_every_rule(value: str) -> None:
    try:
        name = clean_display_name(value)
    except InvalidInput as error:
        assert error.message
        return
    assert MIN_LENGTH <= len(name) <= MAX_LENGTH
    assert name == name.strip() and "  " not in name
    assert not any(c in name for c in '<>&"@/\\')


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_tabs_liking_at_once_count_one_like(make_reader) -> None:
    # Its own article: rows built once for the module would be flushed by this test.
    comment = post(make_reader(), make_article(hero=False), "Likeable")
    liker = make_reader()
    barrier = threading.Barrier(2)

    def like() -> None:
        try:
            barrier.wait()
            reactions.comment_like(user=liker, comment=comment)
        finally:
            connection.close()

    threads = [threading.Thread(target=like) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Like.objects.filter(comment=comment).count() == 1
    assert Comment.objects.get(pk=comment.pk).like_count == 1
