"""Where the browser journeys' screenshots go: test-artifacts/e2e/<database>/.

Invariant: after a run the folder holds that run's screenshots only. It is emptied once
per test session, before any test runs (tests/conftest.py's `pytest_sessionstart`: under
pytest-xdist in the controller, before its workers start), and never by a worker, which
would delete what a worker that started earlier had already written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.db.utils import DEFAULT_DB_ALIAS

ARTIFACTS_ROOT = Path(settings.BASE_DIR) / "test-artifacts" / "e2e"


def artifacts_folder() -> Path:
    """This database's folder: one a database, so CI's two runs keep theirs."""
    return ARTIFACTS_ROOT / connections[DEFAULT_DB_ALIAS].vendor


def clear_artifacts() -> None:
    """No stale screenshot from an earlier run."""
    shutil.rmtree(artifacts_folder(), ignore_errors=True)
