"""A Redis cache that degrades instead of failing when Redis cannot be reached.

Invariants:
- With Redis unreachable, a read is a miss and a write does nothing, so whatever uses
  the cache only to go faster (Wagtail's site lookups, `cached_db` sessions, crawler
  verdicts) goes on from the database: pages render and signed-in readers stay signed in.
- Keys under one of the backend's STRICT_KEY_PREFIXES (the rate-limit counters) never
  degrade: a counter that silently reads as empty would let every attempt through, so
  those calls raise `CacheUnavailable`, and `CacheUnavailableMiddleware` answers the
  request with a polite 503 "try again in a minute". Rate limits fail closed, never open.
- A circuit breaker per Redis location, shared by every thread of the process: after a
  connection failure Redis is not asked again for RETRY_SECONDS, so a dead Redis costs
  one connect timeout per window rather than one per call. Each outage is logged once at
  WARNING and its end once at INFO.
- Only failures to reach Redis degrade. Any other error (a bad command, a value that
  cannot be pickled) is a bug and is raised as usual.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_cache_control
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("masthead.core.cache")

# Connection refused, reset, unreachable, timed out, Redis still loading its data.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)

# Seconds; a cache answers in well under a millisecond, so these only bound a hang.
DEFAULT_CONNECT_TIMEOUT = 0.5
DEFAULT_SOCKET_TIMEOUT = 1.0
DEFAULT_RETRY_SECONDS = 5.0
# What the polite refusal asks the browser (and the reader) to wait.
RETRY_AFTER_SECONDS = 60


class CacheUnavailable(Exception):
    """The cache is down and the caller's key must not degrade to a miss."""


@dataclass
class _Breaker:
    """Whether to try Redis now; one per location, shared by all threads."""

    location: str
    retry_seconds: float
    down_since: float | None = None
    retry_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def may_try(self) -> bool:
        return self.down_since is None or _clock() >= self.retry_at

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def failed(self, error: BaseException) -> None:
        with self.lock:
            now = _clock()
            first = self.down_since is None
            if first:
                self.down_since = now
            self.retry_at = now + self.retry_seconds
        if first:
            logger.warning(
                "cache at %s is unreachable (%s): reads are misses, writes are skipped and "
                "rate-limited forms ask readers to try again until it is back",
                self.location,
                error,
            )

    def succeeded(self) -> None:
        if self.down_since is None:  # the common case: no lock taken
            return
        with self.lock:
            since, self.down_since = self.down_since, None
        if since is not None:
            logger.info("cache at %s is back after %.0f s", self.location, _clock() - since)


def _clock() -> float:
    return time.monotonic()


_breakers: dict[str, _Breaker] = {}
_breakers_lock = threading.Lock()


def _breaker_for(location: str, retry_seconds: float) -> _Breaker:
    with _breakers_lock:
        # The first cache configured for a location sets its retry interval.
        if location not in _breakers:
            _breakers[location] = _Breaker(location, retry_seconds)
        return _breakers[location]


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, with one redis-py client per connection pool.

    Django builds a new `redis.Redis` for every cache call, and redis-py builds its
    table of response callbacks (about 1,500 dictionary writes) in every one: most of a
    cache read's CPU time. A `redis.Redis` over a shared pool is safe to share between
    threads, and the pool (made per process) reconnects after a fork, so one is enough.
    """

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        clients: dict[int, Any] = self.__dict__.setdefault("_masthead_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class DegradingRedisCache(RedisCache):
    """Django's RedisCache, degrading to misses and no-ops while Redis is unreachable.

    OPTIONS of our own (the rest go to redis-py as usual):
    - STRICT_KEY_PREFIXES: keys starting with one of these raise `CacheUnavailable`
      instead of degrading (rate-limit counters).
    - STRICT_DELETE_PREFIXES: deleting a key starting with one of these raises
      `CacheUnavailable` instead of being skipped (cached sessions: a sign-out or a key
      rotation skipped in Redis would bring the old session back once Redis returns).
    - RETRY_SECONDS: how long the breaker waits after a failure before asking again.
    socket_connect_timeout and socket_timeout default to short values.
    """

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self.strict_key_prefixes: tuple[str, ...] = tuple(options.pop("STRICT_KEY_PREFIXES", ()))
        self.strict_delete_prefixes: tuple[str, ...] = self.strict_key_prefixes + tuple(
            options.pop("STRICT_DELETE_PREFIXES", ())
        )
        retry_seconds = float(options.pop("RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
        options.setdefault("socket_connect_timeout", DEFAULT_CONNECT_TIMEOUT)
        options.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT)
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusingRedisCacheClient
        self._breaker = _breaker_for(";".join(self._servers), retry_seconds)

    # -- the guard every call goes through ------------------------------------------------

    @staticmethod
    def _strict(keys: Iterable[Any], prefixes: tuple[str, ...]) -> bool:
        return bool(prefixes) and any(str(key).startswith(prefixes) for key in keys)

    def _guard(
        self,
        keys: Iterable[Any],
        call: Callable[[], Any],
        fallback: Callable[[], Any],
        *,
        deleting: bool = False,
    ) -> Any:
        prefixes = self.strict_delete_prefixes if deleting else self.strict_key_prefixes
        strict = self._strict(keys, prefixes)
        if not self._breaker.may_try():
            if strict:
                raise CacheUnavailable(self._breaker.location)
            return fallback()
        try:
            result = call()
        except UNREACHABLE as error:
            self._breaker.failed(error)
            if strict:
                raise CacheUnavailable(self._breaker.location) from error
            return fallback()
        self._breaker.succeeded()
        return result

    @property
    def is_down(self) -> bool:
        """True while the breaker holds Redis for unreachable (no call is made)."""
        return self._breaker.is_down

    def ping(self) -> bool:
        """Ask Redis now, whatever the breaker says; a success closes the breaker."""
        try:
            self._cache.get_client(write=True).ping()
        except UNREACHABLE as error:
            self._breaker.failed(error)
            return False
        self._breaker.succeeded()
        return True

    # -- Django's cache API ---------------------------------------------------------------

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        parent = super()
        return self._guard([key], lambda: parent.add(key, value, timeout, version), lambda: False)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        parent = super()
        return self._guard([key], lambda: parent.get(key, default, version), lambda: default)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        parent = super()
        self._guard([key], lambda: parent.set(key, value, timeout, version), lambda: None)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        parent = super()
        return self._guard([key], lambda: parent.touch(key, timeout, version), lambda: False)

    def delete(self, key: Any, version: Any = None) -> bool:
        parent = super()
        return self._guard([key], lambda: parent.delete(key, version), lambda: False, deleting=True)

    def get_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        parent, keys = super(), list(keys)
        return self._guard(keys, lambda: parent.get_many(keys, version), dict)

    def has_key(self, key: Any, version: Any = None) -> bool:
        parent = super()
        return self._guard([key], lambda: parent.has_key(key, version), lambda: False)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        parent = super()

        def missing() -> int:
            # What Django's backends say for a key that is not there.
            raise ValueError(f"Key '{key}' not found.")

        return self._guard([key], lambda: parent.incr(key, delta, version), missing)

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[Any]:
        parent = super()
        # On failure every key is reported as not set, as the cache API asks.
        return self._guard(
            data, lambda: parent.set_many(data, timeout, version), lambda: list(data)
        )

    def delete_many(self, keys: Iterable[Any], version: Any = None) -> None:
        parent, keys = super(), list(keys)
        self._guard(keys, lambda: parent.delete_many(keys, version), lambda: None, deleting=True)

    def clear(self) -> bool:
        parent = super()
        return self._guard([], parent.clear, lambda: False)


class CacheUnavailableMiddleware:
    """Turn `CacheUnavailable` from a view into a polite, uncached 503 asking the reader
    to try again in a minute (a fragment for the wall's in-page forms)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, CacheUnavailable):
            return None
        logger.info("refused %s %s: rate limits cannot be counted", request.method, request.path)
        fragment = request.headers.get("HX-Request") == "true"
        response = render(
            request,
            "try_again_fragment.html" if fragment else "try_again.html",
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        # The outage was logged once, at WARNING, by the breaker; Django would log every
        # refusal at ERROR as a server fault and page someone per sign-in attempt.
        response._has_been_logged = True  # type: ignore[attr-defined]
        add_never_cache_headers(response)
        patch_cache_control(response, private=True, no_store=True)
        return response
