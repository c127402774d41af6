"""The local runner: sketching and verification in a pool of worker processes."""

from __future__ import annotations

import functools
import gc
import multiprocessing as mp
import os
import signal
import tempfile
import threading
import time
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import IO, TypeVar

import numpy as np

from unspin.archive import batched
from unspin.cluster.candidates import candidate_docs, find_candidates
from unspin.cluster.options import KEY_SHIFT, ClusterOptions
from unspin.cluster.records import CandidateDoc
from unspin.cluster.result import ClusterResult, ClusterSink, EncodedCluster, Progress
from unspin.cluster.sketching import SketchTable, Skipped, minhash_permutations, sketch_columns
from unspin.cluster.triage import group_component, needs_text
from unspin.cluster.verify import cluster_component
from unspin.document import Document
from unspin.fingerprint import FingerprintParams
from unspin.lexicon import word_frequencies
from unspin.readers import ReadOptions, ReadProblem, read_inputs

T = TypeVar("T")
R = TypeVar("R")


def _init_worker() -> None:
    """A pool worker: Ctrl-C is the parent's to handle, and :func:`relax_gc` (the objects
    inherited from the parent stay out of collections, which would also unshare their
    pages)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    relax_gc()


@functools.cache  # once per process
def relax_gc() -> None:
    """For a process that verifies clusters: what it holds so far is frozen out of
    garbage collection (collections would walk it all) and collections run less often
    (the work makes many short-lived objects and few reference cycles)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _windowed(
    pool: ProcessPoolExecutor | None, fn: Callable[[T], R], items: Iterable[T], window: int
) -> Iterator[R]:
    """``fn`` over ``items`` in order, at most ``window`` tasks in flight (so the input is
    read only as fast as it is processed); in this process when ``pool`` is None."""
    if pool is None:
        for it in items:
            yield fn(it)
        return
    pending: deque[Future[R]] = deque()
    for it in items:
        pending.append(pool.submit(fn, it))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _stop(pool: ProcessPoolExecutor, finished: bool) -> None:
    """Shut the workers down: after their tasks, or at once when this process stops on
    an error or Ctrl-C (which the workers ignore)."""
    if not finished:
        terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
        if terminate is not None:
            terminate()
        else:
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def numbered(
    inputs: Sequence[str], opts: ReadOptions | None = None
) -> Iterator[tuple[int, Document | ReadProblem]]:
    """What :func:`unspin.readers.read_inputs` yields, with each item's key."""
    for n, item in enumerate(inputs):
        for k, it in enumerate(read_inputs([item], opts)):
            yield (n << KEY_SHIFT) | k, it


def _sketch_texts(args: tuple[list[str], FingerprintParams]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`sketch_columns` in a worker: only the texts go there and two arrays come
    back (the parent keeps the rest of each document)."""
    texts, params = args
    return sketch_columns(texts, params)


def _verify_batch(
    args: tuple[list[tuple[list[CandidateDoc], tuple[tuple[int, int], ...]]], ClusterOptions],
) -> list[EncodedCluster]:
    """Clusters of a batch of components, encoded in the worker (JSON is much cheaper to
    send back than the objects)."""
    jobs, opts = args
    out: list[EncodedCluster] = []
    for docs, edges in jobs:
        out.extend(EncodedCluster.of(c) for c in cluster_component(docs, edges, opts))
    return out


class _TextSpill:
    """Texts and titles of every document, on disk until verification needs some of them
    back. Texts come in key order; 32 bytes per document stay in memory."""

    def __init__(self) -> None:
        # A large write buffer: texts go in as a stream, a few at a time.
        self.f: IO[bytes] = tempfile.TemporaryFile(buffering=1 << 20)  # noqa: SIM115
        self.size = 0
        self.unflushed = False
        self.keys = array("q")
        self.offsets = array("q")
        self.lengths = array("q")
        self.title_lengths = array("q")  # -1: no title

    def put(self, key: int, text: str, title: str | None = None) -> None:
        if self.keys and key <= self.keys[-1]:
            raise ValueError("document keys must increase in input order")
        data = text.encode("utf-8", "surrogatepass")
        head = title.encode("utf-8", "surrogatepass") if title is not None else b""
        self.keys.append(key)
        self.offsets.append(self.size)
        self.lengths.append(len(data))
        self.title_lengths.append(len(head) if title is not None else -1)
        self.f.write(head)
        self.f.write(data)
        self.size += len(head) + len(data)
        self.unflushed = True

    def get(self, key: int) -> tuple[str, str | None]:
        """The text and the title of document ``key``."""
        i = bisect_left(self.keys, key)
        if i == len(self.keys) or self.keys[i] != key:
            raise KeyError(key)
        n_title = self.title_lengths[i]
        raw = self._read(self.offsets[i], max(n_title, 0) + self.lengths[i])
        title = raw[:n_title].decode("utf-8", "surrogatepass") if n_title >= 0 else None
        return raw[max(n_title, 0) :].decode("utf-8", "surrogatepass"), title

    def _read(self, offset: int, n: int) -> bytes:
        if self.unflushed:
            self.f.flush()
            self.unflushed = False
        if hasattr(os, "pread"):  # one call, and the write buffer stays as it is
            return os.pread(self.f.fileno(), n, offset)
        self.f.seek(offset)
        raw = self.f.read(n)
        self.f.seek(0, os.SEEK_END)
        return raw

    def close(self) -> None:
        self.f.close()


def cluster_documents(
    items: Iterable[tuple[int, Document | ReadProblem]] | Iterable[Document | ReadProblem],
    options: ClusterOptions | None = None,
    *,
    progress: Progress | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
) -> ClusterResult:
    """Cluster documents on this machine: sketching and verification in
    ``options.workers`` processes, everything else (triage grouping too) in this one.

    ``items`` are documents or read problems, or ``(key, item)`` pairs as
    :func:`numbered` yields them (keys order the input: use them to get the same cluster
    numbers as the Ray runner). Read problems and repeated ids are reported through
    ``on_skip`` as they are met and listed in the result.
    """
    opts = options or ClusterOptions()
    workers = opts.workers if opts.workers is not None else (os.cpu_count() or 1)
    table = SketchTable(opts.params)
    texts = _TextSpill()
    skipped: list[Skipped] = []
    first: dict[str, str] = {}

    def skip(s: Skipped) -> None:
        skipped.append(s)
        if on_skip:
            on_skip(s)

    def docs() -> Iterator[tuple[int, Document]]:
        for n, it in enumerate(items):
            key, item = it if isinstance(it, tuple) else (n, it)
            if isinstance(item, ReadProblem):
                skip(Skipped(key, item.origin, item.message))
                continue
            if item.id in first:
                where = item.origin or item.id
                skip(
                    Skipped(
                        key,
                        where,
                        f"duplicate id {item.id!r} (first at {first[item.id]})",
                    )
                )
                continue
            first[item.id] = item.origin or item.id
            texts.put(key, item.text, item.title)
            yield key, item

    # concurrent.futures rather than multiprocessing.Pool: Pool's worker-handler thread
    # spins while a result waits in the pipe, a few tenths of a CPU second per run.
    pool: ProcessPoolExecutor | None = None
    finished = False
    t0 = time.perf_counter()
    try:
        # The MinHash permutations, loaded before forking: the workers inherit them.
        minhash_permutations(opts.params)
        if workers > 1:
            # Each worker loads wordfreq itself if a component needs it (see
            # verify_component): loading it here for them to inherit cost every run
            # ~0.3 s before sketching could start, needed or not.
            fork = "fork" in mp.get_all_start_methods()
            ctx = mp.get_context("fork" if fork else "spawn")
            pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker)
            pool.submit(int)  # forks the workers now, before this process starts a thread
        if not opts.verify and opts.frequency:
            # Triage groups in this process (light work, cheaper than sending tasks): the
            # word frequencies load while the workers sketch.
            threading.Thread(target=word_frequencies, daemon=True).start()
        metas: deque[list[tuple[int, str, str | None, str | None]]] = deque()

        def batches() -> Iterator[tuple[list[str], FingerprintParams]]:
            for b in batched(docs(), max(1, opts.batch_size)):
                metas.append([(key, d.id, d.url, d.date) for key, d in b])
                yield [d.text for _, d in b], opts.params

        for sigs, bands in _windowed(pool, _sketch_texts, batches(), 4 * workers):
            meta = metas.popleft()  # results come back in order
            table.add_columns(meta, sigs, bands)
            if progress:
                progress("sketch", len(meta))
        first.clear()
        for dup in table.finish():  # none: repeated ids were dropped on reading
            skip(dup)

        t1 = time.perf_counter()
        comps, stats = find_candidates(table, opts)
        sink = ClusterSink()
        sink.timings.update(sketch=t1 - t0, candidates=sink.started - t1)

        def jobs() -> Iterator[
            tuple[list[tuple[list[CandidateDoc], tuple[tuple[int, int], ...]]], ClusterOptions]
        ]:
            batch: list[tuple[list[CandidateDoc], tuple[tuple[int, int], ...]]] = []
            size = 0
            for c in comps:
                if not opts.verify and not needs_text([table.dates[r] for r in c.rows], opts):
                    # Triage without texts: grouped here, no task to send.
                    done = 0
                    for cl in group_component(candidate_docs(table, c, None), opts):
                        sink.add(cl)
                        done += len(cl.members)
                    if progress:
                        progress("verify", done)
                    continue
                batch.append((candidate_docs(table, c, texts.get), c.edges))
                size += len(c.rows)
                if size >= opts.batch_size:
                    yield batch, opts
                    batch, size = [], 0
            if batch:
                yield batch, opts

        stage_pool = pool if opts.verify else None
        for clusters in _windowed(stage_pool, _verify_batch, jobs(), 4 * workers):
            done = 0
            for c in clusters:
                sink.add_encoded(c)
                done += int(c.light["size"])
            if progress:
                progress("verify", done)
        finished = True
    finally:
        if pool is not None:
            _stop(pool, finished)
        texts.close()
    return sink.result(table, skipped, stats)


def cluster_inputs(
    inputs: Sequence[str],
    read_options: ReadOptions | None = None,
    options: ClusterOptions | None = None,
    *,
    progress: Progress | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
) -> ClusterResult:
    """:func:`cluster_documents` over files, directories or ``-`` (stdin)."""
    return cluster_documents(
        numbered(inputs, read_options), options, progress=progress, on_skip=on_skip
    )
