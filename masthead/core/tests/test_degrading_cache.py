"""The degrading Redis cache, against a port where nothing listens: misses and no-ops,
strict keys refused, a breaker that spares a dead Redis, one warning per outage."""

from __future__ import annotations

import logging
import socket

import pytest

from masthead.core import cache as degrading
from masthead.core.cache import CacheUnavailable, DegradingRedisCache


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dead_cache(monkeypatch) -> DegradingRedisCache:
    monkeypatch.setattr(degrading, "_breakers", {})
    return DegradingRedisCache(
        f"redis://127.0.0.1:{_closed_port()}/0",
        {"OPTIONS": {"STRICT_KEY_PREFIXES": ["allauth:rl:"], "RETRY_SECONDS": 5}},
    )


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(degrading, "_clock", lambda: now[0])
    return now


def _count_connections(cache: DegradingRedisCache, monkeypatch) -> list[int]:
    calls = [0]
    get_client = cache._cache.get_client

    def counting(*args, **kwargs):
        calls[0] += 1
        return get_client(*args, **kwargs)

    monkeypatch.setattr(cache._cache, "get_client", counting)
    return calls


def test_reads_are_misses_and_writes_do_nothing_while_redis_is_unreachable(dead_cache):
    assert dead_cache.get("site-root-paths", "fallback") == "fallback"
    dead_cache.set("session", {"user": 1})
    assert dead_cache.add("lock", 1) is False
    assert dead_cache.get_many(["a", "b"]) == {}
    assert dead_cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert "session" not in dead_cache
    assert dead_cache.delete("session") is False
    dead_cache.delete_many(["a", "b"])
    assert dead_cache.touch("a") is False
    assert dead_cache.get_or_set("computed", lambda: 42) == 42
    with pytest.raises(ValueError):
        dead_cache.incr("counter")


def test_rate_limit_keys_never_degrade_to_an_empty_counter(dead_cache):
    for call in (
        lambda: dead_cache.get("allauth:rl:account:login:30/60/ip:ip:10.0.0.1", []),
        lambda: dead_cache.set("allauth:rl:account:login:30/60/ip:ip:10.0.0.1", [1.0], 60),
        lambda: dead_cache.add("allauth:rl:account:login:30/60/ip:ip:10.0.0.1:lock", True),
    ):
        with pytest.raises(CacheUnavailable):
            call()


def test_the_breaker_spares_a_dead_redis_until_it_is_time_to_try_again(
    dead_cache, clock, monkeypatch
):
    connections = _count_connections(dead_cache, monkeypatch)
    dead_cache.get("a")
    assert connections[0] == 1
    for _ in range(20):
        dead_cache.get("a")
        dead_cache.set("a", 1)
    assert connections[0] == 1, "no call should reach Redis while the breaker is open"
    assert dead_cache.is_down
    with pytest.raises(CacheUnavailable):  # strict keys are refused at once too
        dead_cache.get("allauth:rl:x")
    clock[0] += 5
    dead_cache.get("a")
    assert connections[0] == 2


def test_an_outage_is_logged_once(dead_cache, clock, caplog):
    with caplog.at_level(logging.INFO, logger="masthead.core.cache"):
        for _ in range(3):
            clock[0] += 10  # each call tries Redis again, and fails again
            dead_cache.get("a")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "unreachable" in warnings[0].getMessage()


def test_ping_asks_redis_whatever_the_breaker_says(dead_cache, clock, monkeypatch):
    connections = _count_connections(dead_cache, monkeypatch)
    assert dead_cache.ping() is False
    assert dead_cache.ping() is False
    assert connections[0] == 2


def test_connections_time_out_quickly_by_default(dead_cache):
    options = dead_cache._cache._pool_options
    assert options["socket_connect_timeout"] <= 1 and options["socket_timeout"] <= 1
    assert "STRICT_KEY_PREFIXES" not in options and "RETRY_SECONDS" not in options


def test_forgetting_a_cached_session_is_never_skipped(monkeypatch):
    # A sign-out (or a key rotation) whose delete were skipped in Redis would bring the
    # old session back from the cache once Redis returns: refused politely instead.
    monkeypatch.setattr(degrading, "_breakers", {})
    cache = DegradingRedisCache(
        f"redis://127.0.0.1:{_closed_port()}/0",
        {"OPTIONS": {"STRICT_DELETE_PREFIXES": ["django.contrib.sessions.cached_db"]}},
    )
    session_key = "django.contrib.sessions.cached_db" + "abc123"
    assert cache.get(session_key) is None  # reading still degrades to the database
    cache.set(session_key, {"_auth_user_id": "1"})
    with pytest.raises(CacheUnavailable):
        cache.delete(session_key)
    with pytest.raises(CacheUnavailable):
        cache.delete_many([session_key])
    assert cache.delete("something-else") is False


def test_the_production_cache_refuses_to_skip_what_must_not_be_skipped(settings):
    options = settings.CACHES["default"].get("OPTIONS", {})
    if settings.CACHES["default"]["BACKEND"] != "masthead.core.cache.DegradingRedisCache":
        pytest.skip("the laptop defaults use a local-memory cache")
    assert "allauth:rl:" in options["STRICT_KEY_PREFIXES"]
    assert "masthead:signup-limits:" in options["STRICT_KEY_PREFIXES"]
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    assert "django.contrib.sessions.cached_db" in options["STRICT_DELETE_PREFIXES"]
