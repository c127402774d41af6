from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from unspin import Archive, ArchiveError, Document
from unspin.trace import trace

from .conftest import example_originals, example_text


def test_add_get_and_stats(archive: Archive) -> None:
    assert len(archive) == 5
    doc = archive.get("harbor-wire-0002")
    assert doc.title and "peace talks" in doc.title
    stats = archive.stats()
    assert stats.documents == 5
    assert stats.sentences > 20
    assert stats.size_bytes > 0


def test_same_id_replaces_never_duplicates(archive: Archive) -> None:
    res = archive.add([Document(id="harbor-wire-0001", text="A brand new text. Nothing else.")])
    assert (res.added, res.replaced) == (0, 1)
    assert len(archive) == 5
    assert archive.get("harbor-wire-0001").text.startswith("A brand new text")
    # The replaced document's old signature no longer retrieves it.
    rows = archive._db.execute("SELECT count(*) FROM signatures").fetchone()[0]
    assert rows == 5


def test_replaced_document_is_traced_as_new_version(archive: Archive) -> None:
    archive.add([Document(id="harbor-wire-0002", text="Completely unrelated filler text.")])
    report = trace(example_text("spun.txt"), archive)
    assert report.verdict == "no-source"


def test_missing_archive_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="archive not found"):
        Archive(tmp_path / "nope.db")


def test_corrupt_archive_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "bad.db"
    p.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(ArchiveError, match="not a valid unspin archive"):
        Archive(p)


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "other.db"
    with sqlite3.connect(p) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(ArchiveError, match="not an unspin archive"):
        Archive(p)


def test_crash_mid_batch_keeps_committed_batches(tmp_path: Path) -> None:
    docs = example_originals()
    p = tmp_path / "a.db"

    def exploding() -> Iterator[Document]:
        yield from docs[:4]
        raise RuntimeError("disk on fire")

    with Archive(p, create=True) as arc, pytest.raises(RuntimeError):
        arc.add(exploding(), batch_size=3)
    with Archive(p) as arc:
        arc.check()
        assert len(arc) == 3  # the first batch of 3 committed; the half batch rolled back
        assert sorted(arc.ids()) == sorted(d.id for d in docs[:3])
