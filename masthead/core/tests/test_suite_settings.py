"""The test session's own settings (masthead.settings_test): one Redis database per
xdist worker, never past Redis's sixteen, and a fast hasher that still verifies Argon2."""

from __future__ import annotations

import pytest
from django.conf import settings

from masthead.settings_test import worker_redis_url


@pytest.mark.parametrize(
    ("url", "worker", "workers", "expected"),
    [
        ("redis://127.0.0.1:6379/4", "gw0", 2, "redis://127.0.0.1:6379/4"),
        ("redis://127.0.0.1:6379/4", "gw1", 2, "redis://127.0.0.1:6379/5"),
        ("redis://127.0.0.1:6379", "gw2", 4, "redis://127.0.0.1:6379/2"),
        # CI's database 15: the second worker counts down instead of past 15.
        ("redis://127.0.0.1:6379/15", "gw1", 2, "redis://127.0.0.1:6379/14"),
        ("rediss://cache.internal:6380/0/", "gw7", 8, "rediss://cache.internal:6380/7"),
    ],
)
def test_each_worker_has_its_own_redis_database(url, worker, workers, expected):
    assert worker_redis_url(url, worker, workers) == expected


def test_more_workers_than_redis_databases_is_refused():
    with pytest.raises(ValueError, match="do not fit"):
        worker_redis_url("redis://127.0.0.1:6379/0", "gw16", 17)


def test_the_session_hashes_fast_and_still_knows_argon2():
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.MD5PasswordHasher"
    assert "masthead.readers.hashers.ReaderArgon2PasswordHasher" in settings.PASSWORD_HASHERS
