"""The demo newsroom kept between runs (demo_snapshot): a snapshot comes back whole, and
any change to what builds the demo gives it a new name, so an old one is never used."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from . import demo_snapshot


class _Connection:
    """What the snapshot needs of a Django connection: its sqlite3 connection."""

    def __init__(self) -> None:
        self.connection = sqlite3.connect(":memory:")

    def ensure_connection(self) -> None:
        pass


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    code = tmp_path / "masthead"
    (code / "demo" / "tests").mkdir(parents=True)
    (code / "demo" / "loader.py").write_text("ARTICLES = 12\n")
    (code / "demo" / "tests" / "test_loader.py").write_text("def test(): pass\n")
    monkeypatch.setattr(demo_snapshot, "PROJECT_CODE", code)
    monkeypatch.setattr(demo_snapshot, "TEMPLATE_FOLDER", tmp_path / "templates")
    return code


def test_the_name_is_stable(project: Path) -> None:
    assert demo_snapshot.snapshot_path(0.4) == demo_snapshot.snapshot_path(0.4)


def test_a_change_to_the_code_or_the_image_scale_gives_a_new_name(project: Path) -> None:
    before = demo_snapshot.snapshot_path(0.4)
    assert demo_snapshot.snapshot_path(0.5) != before
    (project / "demo" / "loader.py").write_text("ARTICLES = 13\n")
    assert demo_snapshot.snapshot_path(0.4) != before


def test_a_change_to_the_projects_tests_keeps_the_name(project: Path) -> None:
    before = demo_snapshot.snapshot_path(0.4)
    (project / "demo" / "tests" / "test_loader.py").write_text("def test(): assert 1\n")
    assert demo_snapshot.snapshot_path(0.4) == before


def test_a_saved_snapshot_brings_back_the_rows_and_the_media(project: Path, tmp_path: Path) -> None:
    built, media = _Connection(), tmp_path / "media"
    built.connection.execute("CREATE TABLE page (title TEXT)")
    built.connection.execute("INSERT INTO page VALUES ('Harbour board votes')")
    built.connection.commit()
    (media / "images").mkdir(parents=True)
    (media / "images" / "slip.webp").write_bytes(b"RIFF")
    snapshot = demo_snapshot.snapshot_path(0.4)
    demo_snapshot.save(snapshot, built, str(media))

    fresh, fresh_media = _Connection(), tmp_path / "fresh-media"
    assert demo_snapshot.restore(snapshot, fresh, str(fresh_media))
    assert fresh.connection.execute("SELECT title FROM page").fetchall() == [
        ("Harbour board votes",)
    ]
    assert (fresh_media / "images" / "slip.webp").read_bytes() == b"RIFF"
    assert [p.name for p in snapshot.parent.iterdir()] == [snapshot.name]  # no partial left


def test_without_a_snapshot_nothing_is_restored(project: Path, tmp_path: Path) -> None:
    fresh = _Connection()
    assert not demo_snapshot.restore(demo_snapshot.snapshot_path(0.4), fresh, str(tmp_path))
    assert fresh.connection.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def test_saving_a_new_snapshot_removes_the_old_one(project: Path, tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    old = demo_snapshot.snapshot_path(0.4)
    demo_snapshot.save(old, _Connection(), str(media))
    (project / "demo" / "loader.py").write_text("ARTICLES = 13\n")
    new = demo_snapshot.snapshot_path(0.4)
    demo_snapshot.save(new, _Connection(), str(media))
    assert sorted(p.name for p in new.parent.iterdir()) == [new.name]
