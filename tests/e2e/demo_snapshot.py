"""The journeys' demo newsroom kept between runs, on SQLite: loaded, not rebuilt.

Building it (`load_demo`, then rendering every page so the images' renditions exist)
takes 6-8 s a worker. On SQLite's in-memory test database the result is two things,
the database's pages and the media folder, so the first run saves both under
var/test-templates/ and later runs copy them back in a fraction of a second.

Invariants:
- A snapshot is named by a digest of everything that decides what the demo looks like:
  the migrated template's digest (migrations, installed versions, Python and SQLite),
  every file of the project's code, templates, static files and demo material
  (tests aside), this harness, and the image scale. Change any of it and the demo is
  built afresh; a snapshot is never patched.
- `--create-db` (CI) builds afresh too, and replaces the kept snapshot.
- A snapshot is whole or absent: it is written under a temporary name and renamed into
  place in one step; of two workers building at once, the first rename wins and the
  other's copy is thrown away. Older snapshots are removed when a new one is saved.
- PostgreSQL never uses one (its journeys rebuild the demo, as CI expects).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from django.conf import settings

from masthead.core.tests.sqlite_template import TEMPLATE_FOLDER, copy_into, migrations_digest

HERE = Path(__file__).resolve().parent
PROJECT_CODE = Path(settings.BASE_DIR) / "masthead"


def _digest(image_scale: float) -> str:
    digest = hashlib.sha256()
    digest.update(f"{migrations_digest()}\0{image_scale}\0".encode())
    files = {f"harness/{path.name}": path for path in (HERE / "conftest.py", Path(__file__))}
    for path in PROJECT_CODE.rglob("*"):
        relative = path.relative_to(PROJECT_CODE)
        if path.is_file() and not {"tests", "__pycache__"} & set(relative.parts):
            files[f"code/{relative}"] = path
    for name, path in sorted(files.items()):
        digest.update(f"{name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def snapshot_path(image_scale: float) -> Path:
    return TEMPLATE_FOLDER / f"demo-{_digest(image_scale)}"


def restore(snapshot: Path, connection: Any, media_root: str) -> bool:
    """Copy a saved snapshot over the in-memory database and into MEDIA_ROOT; False
    when there is none."""
    database = snapshot / "db.sqlite3"
    if not database.exists():
        return False
    shutil.copytree(snapshot / "media", media_root, dirs_exist_ok=True)
    copy_into(connection, database)
    return True


def save(snapshot: Path, connection: Any, media_root: str) -> None:
    """Keep the database (the demo newsroom, renditions made) and MEDIA_ROOT."""
    partial = snapshot.with_name(f"{snapshot.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(media_root, partial / "media")
    target = sqlite3.connect(partial / "db.sqlite3")
    try:
        connection.ensure_connection()
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
    for stale in snapshot.parent.glob("demo-*"):
        if stale not in (snapshot, partial) and ".partial-" not in stale.name:
            shutil.rmtree(stale, ignore_errors=True)
    shutil.rmtree(snapshot, ignore_errors=True)  # --create-db: the new one replaces it
    try:
        partial.rename(snapshot)
    except OSError:  # another worker's rename came first: theirs is as good
        shutil.rmtree(partial, ignore_errors=True)
