"""Fixtures and hooks every test gets.

Invariants:
- The suite runs under `masthead.settings_test` (pyproject's DJANGO_SETTINGS_MODULE):
  Masthead's settings with a fast password hasher and, under pytest-xdist, a Redis
  database per worker. Tests about hashing ask for `argon2_hashers`.
- Media go to a temporary folder, tasks run at once, caches start empty.
- `@pytest.mark.postgresql` marks a test that needs PostgreSQL (concurrent writers,
  PostgreSQL's own SQL); on any other database it is skipped with the reason.
- Hypothesis runs the "masthead" profile: a bounded number of examples and no
  per-example deadline (a loaded CI machine is slow, not wrong). HYPOTHESIS_PROFILE=thorough
  runs ten times as many.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from hypothesis import settings as hypothesis_settings

hypothesis_settings.register_profile(
    "masthead", max_examples=25, deadline=None, print_blob=True, database=None
)
hypothesis_settings.register_profile(
    "thorough", max_examples=250, deadline=None, print_blob=True, database=None
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "masthead"))


def _database_vendor() -> str:
    engine = django_settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else engine.rsplit(".", 1)[-1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    vendor = _database_vendor()
    if vendor == "postgresql":
        return
    skip = pytest.mark.skip(
        reason=f"needs PostgreSQL, not {vendor}: run with "
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/<name> (CI does)"
    )
    for item in items:
        if item.get_closest_marker("postgresql"):
            item.add_marker(skip)


@pytest.fixture
def argon2_hashers(settings) -> list[str]:
    """The production password hashers (Argon2id first), for tests about hashing."""
    import masthead.settings

    settings.PASSWORD_HASHERS = list(masthead.settings.PASSWORD_HASHERS)
    return settings.PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):
    # The database backend needs a worker process; tests run each task as it is
    # enqueued instead. Tests of the queue itself override TASKS again.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # Rate-limit counters and cached lookups live in the cache; on SQLite user ids repeat
    # between tests, so a counter left over would change what the next test sees.
    from django.core.cache import caches

    from masthead.core.newsroom import newsroom_name_forget

    for alias in ("default", "renditions"):
        caches[alias].clear()
    # Tests rename Sites with queryset updates, which send no signal.
    newsroom_name_forget()
    yield
