"""The local runner: reading (as :mod:`.reading` plans it), sketching and verification in a
pool of worker processes; the candidate search, triage grouping and the records in this one."""

from __future__ import annotations

import functools
import gc
import multiprocessing as mp
import os
import signal
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from itertools import chain
from typing import Any, TypeVar

import numpy as np

from unspin.archive import batched
from unspin.cluster.candidates import candidate_docs, find_candidates
from unspin.cluster.options import KEY_SHIFT, ClusterOptions
from unspin.cluster.reading import (
    Read,
    ReadJob,
    ReadSketch,
    ReadTask,
    count_reads_in,
    plan_reads,
    read_and_sketch,
    read_row,
)
from unspin.cluster.records import CandidateDoc
from unspin.cluster.result import ClusterResult, ClusterSink, EncodedCluster, Progress
from unspin.cluster.sketching import (
    SketchTable,
    Skipped,
    duplicate,
    minhash_permutations,
    sketch_columns,
)
from unspin.cluster.texts import TextStore
from unspin.cluster.triage import group_component, needs_text
from unspin.cluster.verify import cluster_component, word_zipf
from unspin.document import Document
from unspin.fingerprint import FingerprintParams
from unspin.lexicon import word_frequencies
from unspin.readers import (
    ReadItem,
    ReadOptions,
    ReadProblem,
    read_item,
)

T = TypeVar("T")
R = TypeVar("R")


def _init_worker(read_count: Any = None) -> None:
    """A pool worker: Ctrl-C is the parent's to handle, and :func:`relax_gc` (the objects
    inherited from the parent stay out of collections, which would also unshare their
    pages). ``read_count``: the parent's counter of documents the workers have read."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    relax_gc()
    count_reads_in(read_count)


@functools.cache  # once per process
def relax_gc() -> None:
    """For a process that verifies clusters: what it holds so far is frozen out of
    garbage collection (collections would walk it all) and collections run less often
    (the work makes many short-lived objects and few reference cycles)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _windowed(
    pool: ProcessPoolExecutor | None,
    fn: Callable[[T], R],
    items: Iterable[T],
    window: int,
    tick: Callable[[], None] | None = None,
) -> Iterator[R]:
    """``fn`` over ``items`` in order, at most ``window`` tasks in flight (so the input is
    read only as fast as it is processed); in this process when ``pool`` is None.
    ``tick`` is called about twice a second while a result is awaited."""
    if pool is None:
        for it in items:
            yield fn(it)
        return
    pending: deque[Future[R]] = deque()

    def next_result() -> R:
        f = pending.popleft()
        while tick is not None and not wait([f], timeout=0.5).done:
            tick()
        return f.result()

    for it in items:
        pending.append(pool.submit(fn, it))
        if len(pending) >= window:
            yield next_result()
    while pending:
        yield next_result()


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


def _sketch_texts(args: tuple[list[str], FingerprintParams]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`sketch_columns` in a worker: only the texts go there and two arrays come
    back (the parent keeps the rest of each document)."""
    texts, params = args
    return sketch_columns(texts, params)


def _sketch_job(
    job: ReadJob | tuple[list[str], FingerprintParams],
) -> ReadSketch | tuple[np.ndarray, np.ndarray]:
    return read_and_sketch(job) if isinstance(job, ReadJob) else _sketch_texts(job)


def _load_word_frequencies() -> bool:
    return word_zipf() is not None


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
    return _cluster([items], None, options, progress, on_skip)


def _workers(opts: ClusterOptions) -> int:
    return opts.workers if opts.workers is not None else (os.cpu_count() or 1)


Items = Iterable[tuple[int, Document | ReadProblem]] | Iterable[Document | ReadProblem]


def _cluster(
    sources: Sequence[ReadTask | Items],
    read_options: ReadOptions | None,
    options: ClusterOptions | None,
    progress: Progress | None,
    on_skip: Callable[[Skipped], None] | None,
) -> ClusterResult:
    """:func:`cluster_documents` over ``sources`` in order: documents read by the caller,
    or :class:`ReadTask` s, which the workers read when there are workers (each spills
    the texts it reads). Results are taken in input
    order whoever read them, so the first of repeated ids is the one kept and problems
    are reported in input order."""
    opts = options or ClusterOptions()
    ropts = read_options or ReadOptions()
    workers = _workers(opts)
    table = SketchTable(opts.params)
    spill_dir = tempfile.TemporaryDirectory(prefix="unspin-cluster-")
    texts = TextStore(spill_dir.name)
    skipped: list[Skipped] = []
    first: dict[str, str] = {}

    def skip(s: Skipped) -> None:
        skipped.append(s)
        if on_skip:
            on_skip(s)

    def new_id(key: int, doc_id: str, where: str) -> bool:
        """Whether ``doc_id`` is met for the first time (a repeat is reported)."""
        if doc_id in first:
            skip(duplicate(key, doc_id, where, first[doc_id]))
            return False
        first[doc_id] = where
        return True

    def keyed(items: Items) -> Iterator[tuple[int, Document | ReadProblem]]:
        for n, it in enumerate(items):
            yield it if isinstance(it, tuple) else (n, it)

    taken: dict[int, int] = {}  # records numbered so far, per input

    def first_key(item: ReadItem) -> int:
        """The number of the item's first record in its input: a part of a JSONL file
        knows where it starts; a file of a directory follows the files before it."""
        return item.part.records if item.part is not None else taken.get(item.number, 0)

    def numbered_items(items: Sequence[ReadItem], counts: Iterable[int]) -> list[int]:
        """The keys of ``items``' records, given how many each had."""
        keys: list[int] = []
        for item, count in zip(items, counts, strict=True):
            base = first_key(item)
            taken[item.number] = base + count
            keys.extend((item.number << KEY_SHIFT) | k for k in range(base, base + count))
        return keys

    def read_here(item: ReadItem) -> Iterator[tuple[int, Document | ReadProblem]]:
        """The item read as a stream, keyed as :func:`numbered_items` keys it."""
        count = first_key(item)
        for _, it in read_item(item, ropts):
            yield (item.number << KEY_SHIFT) | count, it
            count += 1
        taken[item.number] = count

    def take(keys: list[int], rows: list[Read], spill: str, sigs: Any, bands: Any) -> int:
        """Take in what was read (in input order, whoever read it) and its sketches (one
        row per document): problems and repeated ids reported, documents recorded with
        where their texts are; returns how many documents were kept."""
        keep: list[int] = []
        meta: list[tuple[int, str, str | None, str | None]] = []
        row = 0
        for key, x in zip(keys, rows, strict=True):
            if len(x) == 2:
                skip(Skipped(key, *x))
                continue
            where, doc_id, url, date, offset, length, title_length = x
            if new_id(key, doc_id, where):
                texts.put_ref(key, spill, offset, length, title_length)
                keep.append(row)
                meta.append((key, doc_id, url, date))
            row += 1
        if keep:
            table.add_columns(meta, sigs[keep], bands[keep])
        return len(keep)

    # concurrent.futures rather than multiprocessing.Pool: Pool's worker-handler thread
    # spins while a result waits in the pipe, a few tenths of a CPU second per run.
    pool: ProcessPoolExecutor | None = None
    finished = False
    t0 = time.perf_counter()
    try:
        # The MinHash permutations, loaded before forking: the workers inherit them.
        minhash_permutations(opts.params)
        fork = "fork" in mp.get_all_start_methods()
        ctx = mp.get_context("fork" if fork else "spawn")
        # How many documents the workers have read, for progress while they read.
        read_count = ctx.Value("q", 0) if workers > 1 else None
        if workers > 1:
            # Each worker loads wordfreq itself if a component needs it (see
            # verify_component): loading it here for them to inherit cost every run
            # ~0.3 s before sketching could start, needed or not.
            pool = ProcessPoolExecutor(
                workers, mp_context=ctx, initializer=_init_worker, initargs=(read_count,)
            )
            pool.submit(int)  # forks the workers now, before this process starts a thread
        if not opts.verify and opts.frequency:
            # Triage groups in this process (light work, cheaper than sending tasks): the
            # word frequencies load while the workers sketch.
            threading.Thread(target=word_frequencies, daemon=True).start()
        batches: deque[tuple[list[int], list[Read]]] = deque()  # read here, being sketched
        reported = 0

        def sketch_jobs() -> Iterator[ReadJob | tuple[list[str], FingerprintParams]]:
            for src in sources:
                if isinstance(src, ReadTask) and pool is not None and not src.here:
                    yield ReadJob(src.items, ropts, opts.params, spill_dir.name)
                    continue
                if isinstance(src, ReadTask):
                    items: Iterable[tuple[int, Document | ReadProblem]] = chain.from_iterable(
                        map(read_here, src.items)
                    )
                else:
                    items = keyed(src)
                for b in batched(items, max(1, opts.batch_size)):
                    # Spilled now, like a worker's reading: the batch waits as rows.
                    batches.append(([k for k, _ in b], [read_row(it, texts.writer) for _, it in b]))
                    yield [it.text for _, it in b if isinstance(it, Document)], opts.params

        def workers_read() -> None:
            nonlocal reported
            if progress and read_count is not None and read_count.value > reported:
                n = read_count.value
                progress("sketch", n - reported)
                reported = n

        for res in _windowed(pool, _sketch_job, sketch_jobs(), 4 * workers, workers_read):
            if isinstance(res, ReadSketch):
                keys = numbered_items(res.items, map(len, res.rows))
                rows = list(chain.from_iterable(res.rows))
                take(keys, rows, res.spill, res.signatures, res.bands)
                workers_read()
            else:  # results come back in order
                n = take(*batches.popleft(), texts.writer.path, *res)
                if progress:
                    progress("sketch", n)
        first.clear()
        for dup in table.finish():  # none: repeated ids were dropped on reading
            skip(dup)

        t1 = time.perf_counter()
        if pool is not None and opts.verify and opts.frequency and None in table.dates:
            # Undated documents: choosing roots may take wordfreq, which the workers load
            # now (~0.3 s each), while they would be idle (this process looks for
            # candidates), rather than when their first undated component comes.
            for _ in range(workers):
                pool.submit(_load_word_frequencies)
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
        spill_dir.cleanup()
    return sink.result(table, skipped, stats)


def cluster_inputs(
    inputs: Sequence[str],
    read_options: ReadOptions | None = None,
    options: ClusterOptions | None = None,
    *,
    progress: Progress | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
) -> ClusterResult:
    """:func:`cluster_documents` over files, directories or ``-`` (stdin). With more than
    one worker the workers read the inputs too (a large uncompressed JSONL file in parts),
    and the texts they read stay out of this process until verification needs them."""
    opts = options or ClusterOptions()
    ropts = read_options or ReadOptions()
    return _cluster(plan_reads(inputs, ropts), ropts, opts, progress, on_skip)
