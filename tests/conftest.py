"""Fixtures shared by the cross-app tests under tests/.

Invariant: a test run never writes into the developer's var/ tree. Under tests/ the
media folder (uploaded and generated images, renditions) is a temporary one made once
per session, so what a session-wide or package-wide fixture writes there (the demo
newsroom's images, loaded once for the browser journeys) stays where the live server
looks for it. The root conftest's per-test MEDIA_ROOT still applies to ordinary tests;
tests/e2e turns it off for the journeys.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings


def pytest_sessionstart(session: pytest.Session) -> None:
    """Empty the browser journeys' screenshot folder once for the whole run: here, or
    under pytest-xdist in the controller before the workers start (tests/e2e/artifacts.py)."""
    config = session.config
    if hasattr(config, "workerinput") or config.option.collectonly:
        return
    from tests.e2e.artifacts import clear_artifacts

    clear_artifacts()


@pytest.fixture(scope="session", autouse=True)
def _media_root_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    media_root = str(tmp_path_factory.mktemp("media"))
    with override_settings(MEDIA_ROOT=media_root):
        yield media_root
