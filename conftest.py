"""Fixtures every test gets: media in a temporary folder, tasks run at once; and the
real SMTP server's fixtures, which any test may ask for."""

from __future__ import annotations

import pytest

# The real SMTP server's fixtures (smtp_server, smtp_settings), for every app's tests.
pytest_plugins = ["masthead.core.tests.smtp"]


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):
    # The database backend needs a worker process; tests run each task as it is
    # enqueued instead. Tests of the queue itself override TASKS again.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rate-limit counters and cached lookups live in the cache; on SQLite user ids repeat
    # between tests, so a counter left over would change what the next test sees.
    from django.core.cache import caches

    from masthead.core.newsroom import newsroom_name_forget

    for alias in ("default", "renditions"):
        caches[alias].clear()
    # Tests rename Sites with queryset updates, which send no signal.
    newsroom_name_forget()
    yield
