"""Steps 2 and 3: LSH candidate pairs and their connected components."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from unspin.cluster.options import DEFAULT_MAX_BUCKET, DEFAULT_MIN_JACCARD, ClusterOptions
from unspin.cluster.records import CandidateDoc
from unspin.cluster.sketching import SketchTable

# -- 2. candidates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidates:
    pairs: np.ndarray  # int64 (m, 2): row indices into the table, first < second
    jaccard: np.ndarray  # float64 (m,): estimated Jaccard of each pair
    colliding_pairs: int  # distinct pairs sharing a band, before the Jaccard filter
    skipped_buckets: int  # buckets over max_bucket
    largest_bucket: int


def candidate_pairs(
    band_keys: np.ndarray,
    signatures: np.ndarray,
    has_bands: np.ndarray | None = None,
    *,
    min_jaccard: float = DEFAULT_MIN_JACCARD,
    max_bucket: int = DEFAULT_MAX_BUCKET,
) -> Candidates:
    """Pairs of rows that share a band key and whose estimated Jaccard is high enough.

    One band at a time (memory: a few arrays of ``n``), codes of pairs merged at the end."""
    n, n_bands = band_keys.shape
    empty = Candidates(np.zeros((0, 2), dtype=np.int64), np.zeros(0), 0, 0, 0)
    rows_all = np.flatnonzero(has_bands) if has_bands is not None else np.arange(n)
    if len(rows_all) < 2:
        return empty
    skipped = largest = 0
    codes: list[np.ndarray] = []
    for band in range(n_bands):
        vals = band_keys[rows_all, band]
        order = np.argsort(vals, kind="stable")  # stable: rows ascending inside a bucket
        vals, rows = vals[order], rows_all[order]
        new = np.ones(len(rows), dtype=bool)
        new[1:] = vals[1:] != vals[:-1]
        starts = np.flatnonzero(new)
        sizes = np.diff(np.append(starts, len(rows)))
        largest = max(largest, int(sizes.max()))
        skipped += int((sizes > max_bucket).sum())
        for k in np.unique(sizes[(sizes >= 2) & (sizes <= max_bucket)]):
            i, j = np.triu_indices(int(k), 1)
            base = starts[sizes == k][:, None]
            a, b = rows[base + i[None, :]].ravel(), rows[base + j[None, :]].ravel()
            codes.append(a.astype(np.int64) * n + b)  # a < b
        if len(codes) > 64:
            codes = [_distinct(np.concatenate(codes))]
    if not codes:
        return Candidates(empty.pairs, empty.jaccard, 0, skipped, largest)
    code = _distinct(np.concatenate(codes))
    pairs = np.stack([code // n, code % n], axis=1)
    jac = np.empty(len(pairs))
    for s in range(0, len(pairs), 65536):
        p = pairs[s : s + 65536]
        jac[s : s + 65536] = (signatures[p[:, 0]] == signatures[p[:, 1]]).mean(axis=1)
    keep_p = jac >= min_jaccard
    return Candidates(pairs[keep_p], jac[keep_p], len(pairs), skipped, largest)


def _distinct(a: np.ndarray) -> np.ndarray:
    """``np.unique(a)`` of an int64 array by sorting: numpy 2's hash-based unique was
    ~50x slower on millions of pair codes (0.6 of the 1.4 s that 100,000 documents'
    candidates took)."""
    a = np.sort(a)
    keep = np.ones(len(a), dtype=bool)
    keep[1:] = a[1:] != a[:-1]
    return a[keep]


# -- 3. components -------------------------------------------------------------------------------


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        p = self.parent
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        return True


@dataclass(frozen=True)
class Component:
    """Rows of the table connected by candidate pairs, and the pairs (local indices into
    ``rows``, most similar first)."""

    rows: tuple[int, ...]
    edges: tuple[tuple[int, int], ...]


def component_labels(pairs: np.ndarray, n: int) -> np.ndarray:
    """For each of ``n`` rows, the smallest row of its connected component in the graph
    whose edges are ``pairs`` (int64, (m, 2)). Each round, an edge's two ends and the
    rows their labels name take the smaller of the two labels (a label always names a
    smaller row of the same component), then every label jumps to its root; rounds end
    when no edge joins two labels. Lowering the roots, not only the ends, is what keeps
    the rounds few on a long chain (a chain of rows in random order: lowering the ends
    alone took 0.9 s at 20,000 rows and 34 s at 100,000; this, 0.02 s at 100,000)."""
    labels = np.arange(n, dtype=np.int64)
    if not len(pairs):
        return labels
    a, b = pairs[:, 0], pairs[:, 1]
    while True:
        la, lb = labels[a], labels[b]
        if np.array_equal(la, lb):
            return labels
        low = np.minimum(la, lb)
        for at in (a, b, la, lb):
            np.minimum.at(labels, at, low)
        while True:  # pointer jumping: every label to its root
            up = labels[labels]
            if np.array_equal(up, labels):
                break
            labels = up


def plan(cands: Candidates, n: int) -> list[Component]:
    """Connected components of the candidate graph, ordered by their first row; each
    one's rows ascending and its edges most similar first (then by rows)."""
    pairs = cands.pairs
    if not len(pairs):
        return []
    labels = component_labels(pairs, n)
    rows = _distinct(pairs.reshape(-1))  # rows in a pair, ascending: a label is its first
    rows = rows[np.argsort(labels[rows], kind="stable")]
    comp_of_row = labels[rows]
    starts = np.flatnonzero(np.r_[True, comp_of_row[1:] != comp_of_row[:-1]])
    local = np.empty(n, dtype=np.int64)  # a row's index inside its component
    local[rows] = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    a, b = pairs[:, 0], pairs[:, 1]
    edge_comp = labels[a]
    order = np.lexsort((b, a, -cands.jaccard, edge_comp))
    edge_comp = edge_comp[order]
    la, lb = local[a[order]].tolist(), local[b[order]].tolist()
    edge_starts = np.flatnonzero(np.r_[True, edge_comp[1:] != edge_comp[:-1]]).tolist()
    row_list = rows.tolist()
    bounds = [*starts.tolist(), len(row_list)]
    edge_bounds = [*edge_starts, len(la)]
    return [
        Component(
            tuple(row_list[bounds[k] : bounds[k + 1]]),
            tuple(
                zip(
                    la[edge_bounds[k] : edge_bounds[k + 1]],
                    lb[edge_bounds[k] : edge_bounds[k + 1]],
                    strict=True,
                )
            ),
        )
        for k in range(len(bounds) - 1)
    ]


def candidate_docs(
    table: SketchTable,
    comp: Component,
    text: Callable[[int], tuple[str, str | None]] | None,
) -> list[CandidateDoc]:
    """The documents of ``comp`` with their texts and titles (``text(key)``; empty
    without ``text``)."""
    out = []
    for r in comp.rows:
        key = int(table.keys[r])
        body, title = text(key) if text is not None else ("", None)
        out.append(
            CandidateDoc(
                key=key,
                id=table.ids[r],
                text=body,
                url=table.urls[r],
                site=table.sites[r],
                date=table.dates[r],
                title=title,
            )
        )
    return out


@contextmanager
def _collections_paused() -> Iterator[None]:
    """No garbage collection inside: the candidate graph is hundreds of thousands of
    small lists and tuples, none of them in a reference cycle, and each collection they
    set off would walk the caller's whole heap (a crawl held in memory: 0.76 -> 0.21 CPU
    seconds for the bench crawl's candidates)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def find_candidates(
    table: SketchTable, opts: ClusterOptions
) -> tuple[list[Component], dict[str, Any]]:
    """Components of the candidate graph over ``table``, and counts for the summary."""
    with _collections_paused():
        return _find_candidates(table, opts)


def _find_candidates(
    table: SketchTable, opts: ClusterOptions
) -> tuple[list[Component], dict[str, Any]]:
    cands = candidate_pairs(
        table.band_keys,
        table.signatures,
        table.has_bands,
        min_jaccard=opts.jaccard_bar,
        max_bucket=opts.max_bucket,
    )
    comps = plan(cands, len(table))
    stats = {
        "colliding_pairs": cands.colliding_pairs,
        "candidate_pairs": len(cands.pairs),
        "skipped_buckets": cands.skipped_buckets,
        "largest_bucket": cands.largest_bucket,
        "components": len(comps),
        "candidate_documents": sum(len(c.rows) for c in comps),
        "unsketched_documents": int((~table.has_bands).sum()),
    }
    return comps, stats
