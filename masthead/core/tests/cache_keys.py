"""The keys a test's cache holds, on either backend the suite runs on.

The test settings use Django's local-memory cache, or Redis when REDIS_URL is set (CI's
PostgreSQL run); a test that looks at what was stored asks here instead of reaching
into one backend's internals."""

from __future__ import annotations

from django.core.cache import cache


def stored_keys(containing: str) -> list[str]:
    """The keys (as passed to `cache.get`) that contain `containing`."""
    stored_prefix = cache.make_key("")  # Django's "<KEY_PREFIX>:<version>:"
    backend = cache._cache  # type: ignore[attr-defined]
    if isinstance(backend, dict):  # local memory
        found = list(backend)
    else:  # Redis (django.core.cache.backends.redis.RedisCacheClient)
        client = backend.get_client()
        found = [k.decode() for k in client.scan_iter(match=f"*{containing}*", count=1000)]
    return [
        key.removeprefix(stored_prefix)
        for key in found
        if containing in key and key.startswith(stored_prefix)
    ]
