"""A throwaway site for the in-process benchmarks (bench/bench_accounts.py,
bench/bench_comments.py): production settings, media and static files in a temporary
folder, and a database of the benchmark's own.

Invariant: nothing is shared with a developer's var/ or the test databases. On
PostgreSQL the named database is dropped and created afresh before the run and dropped
(forcibly) after it; on SQLite the database is a file in the temporary folder. Call
`use_throwaway_site` before Django is set up (it sets the environment Django reads).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def use_throwaway_site(tmp: Path, *, postgres_database: str | None) -> None:
    """Point this process's Django at a fresh database: PostgreSQL `postgres_database`
    (dropped and created) when given, else SQLite in `tmp`."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "masthead.settings"
    os.environ["MASTHEAD_DEBUG"] = "0"
    os.environ["MASTHEAD_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["MASTHEAD_MEDIA_ROOT"] = str(tmp / "media")
    os.environ["MASTHEAD_STATIC_ROOT"] = str(tmp / "static")
    os.environ.pop("REDIS_URL", None)
    if postgres_database:
        _psql(f"DROP DATABASE IF EXISTS {postgres_database}", check=True)
        _psql(f"CREATE DATABASE {postgres_database}", check=True)
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{postgres_database}"
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["MASTHEAD_SQLITE_PATH"] = str(tmp / "bench.sqlite3")


def drop_postgres(database: str) -> None:
    """Drop the benchmark's PostgreSQL database, closing any connection still open."""
    _psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", check=False)


def _psql(sql: str, *, check: bool) -> None:
    subprocess.run(["psql", PG_ADMIN_URL, "-qc", sql], check=check)
