"""The test session's own settings (masthead.settings_test): one Redis database per
xdist worker, never past Redis's sixteen, and a fast hasher that still verifies Argon2."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

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


def test_the_test_settings_refuse_production():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "masthead.settings_test",
        "MASTHEAD_PRODUCTION": "1",
        "MASTHEAD_SECRET_KEY": "x" * 60,
        "MASTHEAD_ALLOWED_HOSTS": "news.example",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "masthead.settings_test is for the test suite only" in result.stderr


@dataclass
class _Item:
    nodeid: str
    module: Any
    fixturenames: tuple[str, ...]
    transaction: bool = False
    markers: list[Any] = field(default_factory=list)

    def get_closest_marker(self, name: str) -> Any:
        if name == "django_db":
            return pytest.mark.django_db(transaction=self.transaction).mark
        return None

    def add_marker(self, marker: Any) -> None:
        self.markers.append(marker)


def test_a_module_that_builds_rows_once_refuses_a_transactional_test():
    import conftest as root

    module = SimpleNamespace(__name__="masthead.x.tests.test_shared")
    plain = _Item("a::plain", module, ("build_once", "newsroom"))
    transactional = _Item("a::writes", module, ("transactional_db",), transaction=True)
    with pytest.raises(pytest.UsageError, match="a::writes is transactional"):
        root.pytest_collection_modifyitems(None, [plain, transactional])

    alone = _Item("a::plain", module, ("build_once", "newsroom"))
    root.pytest_collection_modifyitems(None, [alone])
    (group,) = [m.mark for m in alone.markers if m.mark.name == "xdist_group"]
    assert group.args == ("masthead.x.tests.test_shared",)
