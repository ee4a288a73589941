"""The SQLite test database, migrated once and copied into every test process.

Running the project's migrations takes about half a minute of CPU (Django renders the
historical models of some 240 migrations, Wagtail's among them), and under pytest-xdist
every worker used to pay it. Here the first process to get there migrates as usual and
saves the result as a template file; every other process copies the template into its
own in-memory database with SQLite's backup API, which takes a fraction of a second.

Invariants:
- Only SQLite's in-memory test database uses a template; PostgreSQL (and a file-based
  SQLite test database) are set up exactly as pytest-django does it.
- The template's name carries a digest of everything that decides what migrating
  produces: every installed app's migration files, the versions of the installed
  distributions, Python's and SQLite's versions. A changed migration or upgraded
  package gets a new template; it is never patched.
- Templates are kept between runs in var/test-templates/ (a second `make test` migrates
  nothing), except under `--create-db`, which migrates afresh (CI passes it) and replaces
  the kept template. Under pytest-xdist the controller starts the migration in a
  process of its own before the workers start (`start_prebuild`), so it overlaps their
  start-up and collection; the workers wait for it on a file lock. Without a prebuild
  the first worker to get the lock migrates and the others wait. A half-written
  template is never read (written to a temporary name, then renamed).
- The database a test sees is the same either way: the same schema, the rows migrations
  made, the serialized contents transactional tests with `serialized_rollback` restore.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import platform
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from masthead.core.tests import prebuild

TEMPLATE_FOLDER = Path(settings.BASE_DIR) / "var" / "test-templates"
BUILT_IN_THIS_RUN = "MASTHEAD_SQLITE_TEMPLATE_OF_THIS_RUN"


def uses_template(alias: str = "default") -> bool:
    """Whether this alias's test database is SQLite in memory (the template's case)."""
    connection = connections[alias]
    return connection.vendor == "sqlite" and connection.creation.is_in_memory_db(
        connection.creation._get_test_db_name()
    )


def migrations_digest() -> str:
    """A digest of what decides the migrated database: migration files and versions."""
    folders = [(app.label, Path(app.path) / "migrations") for app in apps.get_app_configs()]
    versions = sorted(
        f"{d.metadata['Name']}=={d.version}".lower() for d in metadata.distributions()
    )
    versions.append(f"python {platform.python_version()} sqlite {sqlite3.sqlite_version}")
    return digest_of(folders, versions)


def digest_of(folders: list[tuple[str, Path]], versions: list[str]) -> str:
    digest = hashlib.sha256()
    for label, folder in sorted(folders):
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else []:
            digest.update(f"{label}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    for version in versions:
        digest.update(f"{version}\0".encode())
    return digest.hexdigest()[:20]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def template_path() -> Path:
    return TEMPLATE_FOLDER / f"sqlite-{migrations_digest()}.sqlite3"


def _lock_path(template: Path) -> Path:
    return template.with_suffix(".lock")


def start_prebuild(*, rebuild: bool) -> subprocess.Popen[bytes] | None:
    """In pytest-xdist's controller: migrate the template in a process of its own while
    the workers start and collect, so they copy it instead of one of them migrating
    while the other waits. Returns once that process holds the template's lock (the
    workers wait on it), or None when the template is already there."""
    template = template_path()
    if template.exists() and not rebuild:
        return None
    return prebuild.start(
        "masthead.core.tests.sqlite_template",
        str(template),
        log=template.with_suffix(".log"),
        built_in_this_run=BUILT_IN_THIS_RUN,
        env={"MASTHEAD_SQLITE_PATH": str(template.with_suffix(".migrating")), "DATABASE_URL": None},
    )


def finish_prebuild(process: subprocess.Popen[bytes]) -> str | None:
    """Wait for the prebuild; a message saying where its log is when it failed."""
    return prebuild.finish(
        process,
        database="SQLite",
        otherwise="the workers migrated their own databases",
        log=template_path().with_suffix(".log"),
    )


def setup_from_template(
    *, verbosity: int, serialized_aliases: set[str] | None, rebuild: bool
) -> list[tuple[Any, str, bool]]:
    """Set up the default alias's in-memory test database; return `setup_databases`'s
    old config (for `teardown_databases`)."""
    from django.test.utils import setup_databases

    template = template_path()
    # Under --create-db a template made in this run (by the controller's prebuild, or by
    # the worker that got here first, which leaves a mark) is copied, not made again.
    run_mark = template.with_suffix(f".run-{os.environ.get('PYTEST_XDIST_TESTRUNUID', '')}")
    with _locked(_lock_path(template)):
        made_in_this_run = os.environ.get(BUILT_IN_THIS_RUN) == str(template) or run_mark.exists()
        if template.exists() and (not rebuild or made_in_this_run):
            return [_copy_template(template, verbosity, serialized_aliases)]
        old_config = setup_databases(
            verbosity=verbosity,
            interactive=False,
            aliases={"default"},
            serialized_aliases=serialized_aliases,
        )
        _save_template(template, connections["default"].connection)
        if os.environ.get("PYTEST_XDIST_TESTRUNUID"):
            run_mark.touch()
        return old_config


def _save_template(template: Path, source: sqlite3.Connection) -> None:
    for stale in template.parent.glob("sqlite-*"):
        if stale.suffix not in (".lock", ".log", ".migrating") and stale != template:
            stale.unlink(missing_ok=True)
    partial = template.with_suffix(".partial")
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
        # A copy of a WAL database is one too; a template read by many needs no WAL.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
    partial.replace(template)


def copy_into(connection: Any, database: Path) -> None:
    """Copy the SQLite file `database` (opened read-only) over the database of a Django
    `connection`, which is opened if it is not yet."""
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _copy_template(
    template: Path, verbosity: int, serialized_aliases: set[str] | None
) -> tuple[Any, str, bool]:
    """What `create_test_db` does, with a copy of the template in place of `migrate`."""
    connection = connections["default"]
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    test_name = creation._get_test_db_name()
    if verbosity >= 1:
        creation.log(f"Copying the migrated test database for alias 'default' from {template}")
    connection.close()
    settings.DATABASES["default"]["NAME"] = test_name
    connection.settings_dict["NAME"] = test_name
    copy_into(connection, template)
    if serialized_aliases is None or "default" in serialized_aliases:
        connection._test_serialized_contents = creation.serialize_db_to_string()
    call_command("createcachetable", database="default")
    return (connection, old_name, True)


def _build(template: Path) -> None:
    """The prebuild process: migrate MASTHEAD_SQLITE_PATH and save it as the template."""
    import django

    with _locked(_lock_path(template)):
        prebuild.say_locked()
        django.setup()
        call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
        connections["default"].ensure_connection()
        try:
            _save_template(template, connections["default"].connection)
        finally:
            connections["default"].close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{settings.DATABASES['default']['NAME']}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    _build(Path(sys.argv[1]))
