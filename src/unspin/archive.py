"""The reference archive: one SQLite file (WAL) of documents, sentences and signatures.

Writes happen in batches, one transaction each: a crash or Ctrl-C mid-batch rolls back
that batch only, and every committed batch stays. Adding a document whose id is already
stored replaces it.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import signal
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import TypeVar

import numpy as np

from unspin.document import Document
from unspin.errors import ArchiveError
from unspin.fingerprint import (
    Fingerprint,
    FingerprintParams,
    band_keys,
    estimated_jaccard,
    fingerprint,
)
from unspin.segment import analyze

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT, url TEXT, date TEXT,
    text TEXT NOT NULL,
    n_tokens INTEGER NOT NULL,
    added REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sentences (
    rid INTEGER NOT NULL, idx INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    PRIMARY KEY (rid, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS signatures (rid INTEGER PRIMARY KEY, minhash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS bands (
    key INTEGER NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (key, rid)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS anchors USING fts5(terms, detail=column);
CREATE VIRTUAL TABLE IF NOT EXISTS anchors_vocab USING fts5vocab(anchors, 'row');
"""

T = TypeVar("T")
_FTS_TERM = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Prepared:
    """A document with the work done that does not need the database."""

    doc: Document
    n_tokens: int
    sentence_spans: list[tuple[int, int]]  # input offsets
    fingerprint: Fingerprint


@dataclass(frozen=True)
class Candidate:
    id: str
    rid: int
    jaccard: float  # MinHash estimate over immutable shingles
    lsh_hits: int  # bands shared with the query
    bm25_rank: int | None  # rank among full-text hits on names and numbers, 0 = best


@dataclass(frozen=True)
class StoredDocument:
    id: str
    text: str
    title: str | None
    url: str | None
    date: str | None


@dataclass(frozen=True)
class AddResult:
    added: int
    replaced: int


@dataclass(frozen=True)
class ArchiveStats:
    path: str
    documents: int
    sentences: int
    size_bytes: int
    params: FingerprintParams


def prepare(doc: Document, params: FingerprintParams) -> Prepared:
    a = analyze(doc.text)
    return Prepared(
        doc=doc,
        n_tokens=len(a.tokens),
        sentence_spans=[a.norm.span_to_input(s, e) for s, e in a.sentence_spans],
        fingerprint=fingerprint(a, params),
    )


def _fts_terms(anchors: list[str]) -> list[str]:
    words: dict[str, None] = {}
    for t in anchors:
        for w in _FTS_TERM.findall(t):
            if len(w) > 1:
                words.setdefault(w, None)
    return list(words)


class Archive:
    """A reference archive of source documents.

    ``Archive(path)`` opens an existing archive; ``Archive(path, create=True)`` creates it
    when missing. Use it as a context manager or call :meth:`close`.
    """

    def __init__(
        self, path: str | Path, *, create: bool = False, params: FingerprintParams | None = None
    ) -> None:
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise ArchiveError(
                f"archive not found: {self.path} (create one with `unspin index add`)"
            )
        if self.path.is_dir():
            raise ArchiveError(f"archive path is a directory: {self.path}")
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self.params = self._init_meta(params)
        except sqlite3.DatabaseError as e:
            raise ArchiveError(f"not a valid unspin archive: {self.path} ({e})") from None

    # -- lifecycle -----------------------------------------------------------------------

    def _init_meta(self, params: FingerprintParams | None) -> FingerprintParams:
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        if tables and "meta" not in tables:
            raise ArchiveError(f"not an unspin archive (an unrelated SQLite file): {self.path}")
        if "meta" not in tables:
            self._db.executescript(_SCHEMA)
            p = params or FingerprintParams()
            with self._tx():
                self._db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [("schema", str(SCHEMA_VERSION)), ("params", json.dumps(asdict(p)))],
                )
            return p
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("schema") != str(SCHEMA_VERSION) or "params" not in meta:
            raise ArchiveError(
                f"archive {self.path} has schema {meta.get('schema')!r}; this unspin reads "
                f"schema {SCHEMA_VERSION}: rebuild it with `unspin index add`"
            )
        return FingerprintParams(**json.loads(meta["params"]))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> None:
            self.db.execute("BEGIN IMMEDIATE")

        def __exit__(self, exc_type: object, *rest: object) -> None:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")

    def _tx(self) -> Archive._Tx:
        return Archive._Tx(self._db)

    # -- writing ---------------------------------------------------------------------------

    def add(
        self,
        docs: Iterable[Document],
        *,
        batch_size: int = 500,
        workers: int | None = None,
        on_batch: Callable[[int], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> AddResult:
        """Add (or replace) documents, committing every ``batch_size`` documents.

        Analysis and fingerprinting run in ``workers`` processes (default: one per core)
        while the previous batch is written; batches are committed in input order. When
        ``stop()`` turns true (a Ctrl-C handler, say) adding ends after the batch being
        written, so the worker pool shuts down with nothing in flight.
        """
        stopping = stop or (lambda: False)
        workers = workers if workers is not None else (os.cpu_count() or 1)
        added = replaced = 0

        def write(batch: list[Prepared]) -> None:
            nonlocal added, replaced
            a, r = self.add_prepared(batch)
            added += a
            replaced += r
            if on_batch:
                on_batch(len(batch))

        prep = partial(prepare, params=self.params)
        batches = batched(docs, batch_size)
        if workers <= 1:
            for batch in batches:
                write([prep(d) for d in batch])
                if stopping():
                    break
            return AddResult(added=added, replaced=replaced)
        ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        with ctx.Pool(workers, initializer=_ignore_sigint) as pool:
            pending: AsyncResult[list[Prepared]] | None = None
            try:
                for batch in batches:
                    chunk = max(1, len(batch) // (4 * workers))
                    job = pool.map_async(prep, batch, chunksize=chunk)
                    if pending is not None:
                        write(pending.get())
                    pending = job
                    if stopping():
                        break
            except Exception:
                # The input failed: keep the batch that was already prepared, as the
                # single-process path would have.
                if pending is not None:
                    pending.wait()
                    if pending.successful():
                        write(pending.get())
                raise
            if pending is not None:
                write(pending.get())
        return AddResult(added=added, replaced=replaced)

    def add_prepared(self, batch: list[Prepared]) -> tuple[int, int]:
        """Write one batch of prepared documents in one transaction."""
        added = replaced = 0
        now = time.time()
        db = self._db
        with self._tx():
            for p in batch:
                d, fp = p.doc, p.fingerprint
                old = db.execute("SELECT rid FROM documents WHERE id = ?", (d.id,)).fetchone()
                if old:
                    self._delete_rid(old[0])
                    replaced += 1
                else:
                    added += 1
                cur = db.execute(
                    "INSERT INTO documents (id, title, url, date, text, n_tokens, added) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (d.id, d.title, d.url, d.date, d.text, p.n_tokens, now),
                )
                rid = cur.lastrowid
                db.executemany(
                    "INSERT INTO sentences VALUES (?, ?, ?, ?)",
                    [(rid, i, s, e) for i, (s, e) in enumerate(p.sentence_spans)],
                )
                db.execute("INSERT INTO signatures VALUES (?, ?)", (rid, fp.signature.tobytes()))
                db.executemany(
                    "INSERT OR IGNORE INTO bands VALUES (?, ?)", [(k, rid) for k in fp.band_keys]
                )
                if fp.anchors:
                    db.execute(
                        "INSERT INTO anchors (rowid, terms) VALUES (?, ?)",
                        (rid, " ".join(fp.anchors)),
                    )
        return added, replaced

    def _delete_rid(self, rid: int) -> None:
        db = self._db
        row = db.execute("SELECT minhash FROM signatures WHERE rid = ?", (rid,)).fetchone()
        if row:
            sig = np.frombuffer(row[0], dtype=np.uint32)
            db.executemany(
                "DELETE FROM bands WHERE key = ? AND rid = ?",
                [(k, rid) for k in band_keys(sig, self.params)],
            )
        for table in ("documents", "sentences", "signatures"):
            db.execute(f"DELETE FROM {table} WHERE rid = ?", (rid,))
        db.execute("DELETE FROM anchors WHERE rowid = ?", (rid,))

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM documents").fetchone()[0])

    def __contains__(self, doc_id: object) -> bool:
        return (
            self._db.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone()
            is not None
        )

    def get(self, doc_id: str) -> StoredDocument:
        row = self._db.execute(
            "SELECT id, text, title, url, date FROM documents WHERE id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            raise KeyError(doc_id)
        return StoredDocument(*row)

    def ids(self) -> Iterator[str]:
        for (doc_id,) in self._db.execute("SELECT id FROM documents ORDER BY rid"):
            yield doc_id

    def candidates(self, fp: Fingerprint, *, limit: int = 8, pool: int = 64) -> list[Candidate]:
        """Likely sources of a fingerprinted text, best first.

        Two retrievers are fused: LSH over immutable shingles (robust to synonym spinning)
        and BM25 over names and numbers (robust to reordering and rewriting that break the
        skeleton). The pooled candidates are ranked by the MinHash estimate, with the
        BM25 rank breaking ties, and the best ``limit`` returned.
        """
        db = self._db
        hits: dict[int, int] = {}
        if fp.band_keys:
            qmarks = ",".join("?" * len(fp.band_keys))
            for rid, n in db.execute(
                f"SELECT rid, count(*) FROM bands WHERE key IN ({qmarks}) GROUP BY rid "
                "ORDER BY count(*) DESC LIMIT ?",
                (*fp.band_keys, pool),
            ):
                hits[rid] = n
        bm25 = self._bm25(fp.anchors, limit)
        rids = list(hits.keys() | bm25.keys())
        if not rids:
            return []
        qmarks = ",".join("?" * len(rids))
        rows = db.execute(
            f"SELECT s.rid, d.id, s.minhash FROM signatures s JOIN documents d USING (rid) "
            f"WHERE s.rid IN ({qmarks})",
            rids,
        ).fetchall()
        sigs = np.stack([np.frombuffer(r[2], dtype=np.uint32) for r in rows])
        jac = estimated_jaccard(fp.signature, sigs)
        out = [
            Candidate(
                id=r[1],
                rid=r[0],
                jaccard=float(j),
                lsh_hits=hits.get(r[0], 0),
                bm25_rank=bm25.get(r[0]),
            )
            for r, j in zip(rows, jac, strict=True)
        ]
        out.sort(key=lambda c: (-c.jaccard, c.bm25_rank if c.bm25_rank is not None else 1 << 30))
        return out[:limit]

    def _bm25(self, anchors: list[str], limit: int, n_terms: int = 8) -> dict[int, int]:
        """Rank of documents sharing the query's rarest names and numbers.

        Only the rarest terms are asked for: common ones ("US", "1987") add little
        evidence and make the query scan long posting lists.
        """
        terms = _fts_terms(anchors)[:200]
        if not terms:
            return {}
        qmarks = ",".join("?" * len(terms))
        df = dict(
            self._db.execute(
                f"SELECT term, doc FROM anchors_vocab WHERE term IN ({qmarks})", terms
            ).fetchall()
        )
        rare = sorted((t for t in terms if t in df), key=lambda t: df[t])[:n_terms]
        if not rare:
            return {}
        q = " OR ".join(f'"{t}"' for t in rare)
        rows = self._db.execute(
            "SELECT rowid FROM anchors WHERE anchors MATCH ? ORDER BY rank LIMIT ?", (q, limit)
        ).fetchall()
        return {rid: i for i, (rid,) in enumerate(rows)}

    def stats(self) -> ArchiveStats:
        db = self._db
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return ArchiveStats(
            path=str(self.path),
            documents=len(self),
            sentences=int(db.execute("SELECT count(*) FROM sentences").fetchone()[0]),
            size_bytes=size,
            params=self.params,
        )

    def check(self) -> None:
        """Raise :class:`ArchiveError` if SQLite finds the file damaged."""
        try:
            res = self._db.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as e:
            raise ArchiveError(f"archive is damaged: {self.path} ({e})") from None
        if res != "ok":
            raise ArchiveError(f"archive is damaged: {self.path} ({res})")


def _ignore_sigint() -> None:
    # Workers leave Ctrl-C to the parent, which rolls back the open batch and stops them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def batched(items: Iterable[T], n: int) -> Iterator[list[T]]:
    """Lists of up to ``n`` consecutive items."""
    batch: list[T] = []
    for it in items:
        batch.append(it)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch
