"""The PostgreSQL test database, migrated once and cloned into every test process.

The SQLite test database is copied from a migrated template (`sqlite_template`); this is
the same for PostgreSQL. Migrating takes each pytest-xdist worker some 35 s of CPU;
instead the controller migrates one template database (`test_<NAME>_tmpl_<digest>`) in
a process of its own while the workers start, and each worker makes its test database
with `CREATE DATABASE test_<NAME>_gwN TEMPLATE ...`, a file copy that takes a second.

Invariants:
- The template's name carries `sqlite_template.migrations_digest()` (migration files,
  installed versions): a changed migration or upgraded package gets a new template, and
  the old ones of this database name are dropped when it is built.
- A template is kept between runs (a second `make test` migrates nothing), except under
  `--create-db`, which migrates afresh once per run (CI passes it). `--reuse-db` runs and
  runs without migrations are set up exactly as pytest-django does it.
- A half-migrated template is never cloned: it is built under `<template>_partial` and
  renamed when complete. Nothing stays connected to a template (PostgreSQL refuses to
  clone a database someone is connected to).
- Workers wait for the build on a file lock in var/test-templates/; with no prebuild
  (one process, or the prebuild failed) the first process to get the lock builds it.
- The database a test sees is the one `migrate` makes: the same schema and rows, the
  serialized contents transactional tests with `serialized_rollback` restore, the cache
  table.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connections

from masthead.core.tests import prebuild
from masthead.core.tests.sqlite_template import TEMPLATE_FOLDER, _locked, migrations_digest

BUILT_IN_THIS_RUN = "MASTHEAD_PG_TEMPLATE_OF_THIS_RUN"
TEMPLATE_INFIX = "_tmpl_"


def uses_template(alias: str = "default") -> bool:
    return connections[alias].vendor == "postgresql"


def template_name() -> str:
    base = f"test_{connections['default'].settings_dict['NAME']}"[:30]
    return f"{base}{TEMPLATE_INFIX}{migrations_digest()}"


def _quote(name: str) -> str:
    return connections["default"].ops.quote_name(name)


def _exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


def _lock(template: str) -> Any:
    return _locked(TEMPLATE_FOLDER / f"{template}.lock")


def _log_path(template: str) -> Path:
    return TEMPLATE_FOLDER / f"{template}.log"


def start_prebuild(*, rebuild: bool) -> subprocess.Popen[bytes] | None:
    """In pytest-xdist's controller: build the template in a process of its own while the
    workers start and collect. Returns once that process holds the template's lock (the
    workers wait on it), or None when the template is already there."""
    template = template_name()
    if not rebuild:
        with connections["default"].creation._nodb_cursor() as cursor:
            if _exists(cursor, template):
                return None
    return prebuild.start(
        "masthead.core.tests.pg_template",
        template,
        log=_log_path(template),
        built_in_this_run=BUILT_IN_THIS_RUN,
        env={},
    )


def finish_prebuild(process: subprocess.Popen[bytes]) -> str | None:
    """Wait for the prebuild; a message saying where its log is when it failed."""
    return prebuild.finish(
        process,
        database="PostgreSQL",
        otherwise="the first worker migrated it",
        log=_log_path(template_name()),
    )


def setup_from_template(
    *, verbosity: int, serialized_aliases: set[str] | None, rebuild: bool
) -> list[tuple[Any, str, bool]]:
    """Set up the default alias's test database as a clone of the template; return
    `setup_databases`'s old config (for `teardown_databases`)."""
    template = template_name()
    connection = connections["default"]
    run_mark = TEMPLATE_FOLDER / f"{template}.run-{os.environ.get('PYTEST_XDIST_TESTRUNUID', '')}"
    with _lock(template):
        with connection.creation._nodb_cursor() as cursor:
            exists = _exists(cursor, template)
        made_in_this_run = os.environ.get(BUILT_IN_THIS_RUN) == template or run_mark.exists()
        if not exists or (rebuild and not made_in_this_run):
            _build(template)
            if os.environ.get("PYTEST_XDIST_TESTRUNUID"):
                run_mark.touch()
        return [_clone(template, verbosity, serialized_aliases)]


def _clone(
    template: str, verbosity: int, serialized_aliases: set[str] | None
) -> tuple[Any, str, bool]:
    """What `create_test_db` does, with a clone of the template in place of `migrate`."""
    connection = connections["default"]
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    test_name = creation._get_test_db_name()
    if verbosity >= 1:
        creation.log(f"Cloning test database for alias 'default' from {template}")
    connection.close()
    with creation._nodb_cursor() as cursor:
        if _exists(cursor, test_name):
            cursor.execute(f"DROP DATABASE {_quote(test_name)}")
        cursor.execute(f"CREATE DATABASE {_quote(test_name)} TEMPLATE {_quote(template)}")
    settings.DATABASES["default"]["NAME"] = test_name
    connection.settings_dict["NAME"] = test_name
    if serialized_aliases is None or "default" in serialized_aliases:
        connection._test_serialized_contents = creation.serialize_db_to_string()
    call_command("createcachetable", database="default")
    connection.ensure_connection()
    return (connection, old_name, True)


def _build(template: str) -> None:
    """Migrate a new database and rename it to `template` (dropping older templates)."""
    connection = connections["default"]
    creation = connection.creation
    partial = f"{template}_partial"
    with creation._nodb_cursor() as cursor:
        # The template being replaced goes first: should this build fail, no process
        # of this run clones the old one.
        cursor.execute(f"DROP DATABASE IF EXISTS {_quote(template)}")
        cursor.execute(f"DROP DATABASE IF EXISTS {_quote(partial)}")
        cursor.execute(f"CREATE DATABASE {_quote(partial)}")
    old_name = connection.settings_dict["NAME"]
    connection.close()
    settings.DATABASES["default"]["NAME"] = partial
    connection.settings_dict["NAME"] = partial
    try:
        call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
        call_command("createcachetable", database="default")
    finally:
        connection.close()
        settings.DATABASES["default"]["NAME"] = old_name
        connection.settings_dict["NAME"] = old_name
    stem = template[: template.index(TEMPLATE_INFIX) + len(TEMPLATE_INFIX)]
    with creation._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND datname <> %s",
            [stem, partial],
        )
        for (stale,) in cursor.fetchall():
            cursor.execute(f"DROP DATABASE IF EXISTS {_quote(stale)}")
        cursor.execute(f"ALTER DATABASE {_quote(partial)} RENAME TO {_quote(template)}")


def _prebuild(template: str) -> None:
    """The prebuild process: build `template` while holding its lock."""
    import django

    with _lock(template):
        prebuild.say_locked()
        django.setup()
        _build(template)


if __name__ == "__main__":
    _prebuild(sys.argv[1])
