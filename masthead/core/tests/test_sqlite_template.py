"""The migrated-once SQLite test database (sqlite_template): what a test sees is a fully
migrated database, and a changed migration or version never reuses an old template."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from wagtail.models import Page, Site

from masthead.core.tests.sqlite_template import digest_of


@pytest.mark.django_db
def test_the_test_database_has_every_migration_applied() -> None:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    assert plan == []


@pytest.mark.django_db
def test_the_rows_migrations_make_are_there() -> None:
    # Wagtail's data migrations: the tree's root and the default site.
    assert Page.objects.filter(depth=1).exists()
    assert Site.objects.exists()


def _app(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, Path]]:
    folder = tmp_path / "migrations"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return [("app", folder)]


def test_the_digest_is_stable(tmp_path: Path) -> None:
    folders = _app(tmp_path, {"0001_initial.py": "operations = []"})
    assert digest_of(folders, ["django==5.2"]) == digest_of(folders, ["django==5.2"])


def test_an_edited_migration_changes_the_digest(tmp_path: Path) -> None:
    folders = _app(tmp_path, {"0001_initial.py": "operations = []"})
    before = digest_of(folders, [])
    _app(tmp_path, {"0001_initial.py": "operations = [1]"})
    assert digest_of(folders, []) != before


def test_a_new_migration_changes_the_digest(tmp_path: Path) -> None:
    folders = _app(tmp_path, {"0001_initial.py": "operations = []"})
    before = digest_of(folders, [])
    _app(tmp_path, {"0002_more.py": "operations = []"})
    assert digest_of(folders, []) != before


def test_an_upgraded_package_changes_the_digest(tmp_path: Path) -> None:
    folders = _app(tmp_path, {"0001_initial.py": "operations = []"})
    assert digest_of(folders, ["wagtail==8.0"]) != digest_of(folders, ["wagtail==8.1"])
