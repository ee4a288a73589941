"""A database worker processes see (`shared_database`): a plugin every app's tests can
use (the root conftest lists it in `pytest_plugins`, as it does smtp.py).

Invariant: a database shared with worker processes is a real one and is thrown away
after the test. On PostgreSQL it is pytest-django's test database (rows committed by
`transactional_db`). On SQLite the test database lives in memory, which no other process
can open, so the fixture copies it (schema and all) into a file in tmp_path and points
this process at the file too; the in-memory database is put back afterwards.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections


@pytest.fixture
def shared_database(
    django_db_serialized_rollback: None, transactional_db: None, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """Environment variables that point a worker process at this test's database.

    Serialized rollback, as every transactional test here: the flush afterwards would
    otherwise take the rows migrations made (Wagtail's root page, content types) with
    it, for every test that follows.
    """
    connection = connections["default"]
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        url = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
        yield {"DATABASE_URL": url}
        return
    path = tmp_path / "shared.sqlite3"
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.close()
    in_memory, name = connection.connection, connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        connection.ensure_connection()
        yield {"MASTHEAD_SQLITE_PATH": str(path), "DATABASE_URL": ""}
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = in_memory
