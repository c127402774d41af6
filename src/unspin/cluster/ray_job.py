"""The clustering pipeline of :mod:`unspin.cluster` as a Ray Data job (``--ray``).

Same stages, same functions, same clusters (ids, members, roots) as the local runner:

    inputs -> read (one task per input, or per 8 MB part of a large uncompressed JSONL
              file; streaming blocks of documents)
           -> sketch (in the read tasks, per block of a few MB of text); the blocks stay
              in Ray's object store (texts spill to disk, not to the driver)
           -> sketch columns without texts streamed to the driver as blocks are read:
              repeated ids, LSH candidates and their components (numpy, ~2 KB per
              document)
           -> components shared out to buckets, larger first, smaller as the work
              left shrinks (on the driver)
           -> one task per bucket (plain Ray tasks): verify_component per
              component, its documents taken from the materialized read blocks by block
              and row (zero-copy from the object store; no shuffle of the texts)
           -> cluster records streamed to the driver, numbered in input order of roots.

Triage (``verify=False``): components are grouped on the driver from the sketch columns
(:func:`unspin.cluster.triage.group_component`); members of components without a date for
every member get their :func:`unspin.cluster.triage.plainness` from a task next to each read
block that holds some.
With an archive, components go through the bucket tasks instead (the root is traced there).

``ray.init(address=...)`` joins a running cluster (inputs and the archive must be
readable from every node, and unspin installed there); without an address a local Ray
starts with one CPU per worker, and stops after the job. A caller that started Ray itself
(:func:`start_ray`, or ``ray.init``) keeps it, and its next jobs skip Ray's one-off costs:
worker processes started and importing Ray Data, Ray Data's actors (~4.5 s on two cores,
bench/RESULTS.md). Ray is optional: ``pip install 'unspin[ray]'``.

On several nodes a node fetches each read block its verify tasks take documents from
(once: the object store keeps it, and spills or drops it when full), so up to the whole
crawl's texts cross the network per node, where a shuffle would move each candidate text
once. On one node nothing moves; a shuffle of only the candidate rows (a split task per
block, pieces per bucket) cost 0.5 to 1.2 s more than the block reads at 14,702 documents
and 1 to 5 s more at 100,000 (bench/RESULTS.md).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, fields, replace
from itertools import groupby
from operator import itemgetter
from typing import Any

import numpy as np

from unspin.cluster.candidates import candidate_docs, find_candidates
from unspin.cluster.local import relax_gc
from unspin.cluster.options import KEY_SHIFT, ClusterOptions
from unspin.cluster.records import CandidateDoc
from unspin.cluster.result import ClusterResult, ClusterSink, EncodedCluster, Progress
from unspin.cluster.sites import site_of
from unspin.cluster.sketching import SketchTable, Skipped, sketch_columns
from unspin.cluster.triage import group_component, needs_text, plainness
from unspin.cluster.verify import cluster_component
from unspin.errors import UnspinError
from unspin.readers import JsonlPart, ReadItem, ReadOptions, ReadProblem, read_item, read_plan

RAY_HINT = "pip install 'unspin[ray]'"
_PART_BYTES = 8 << 20  # a JSONL file larger than this is read in parts of about this size
# A read task's blocks: a few MB of text each. Ray Data's costs are per block, and a
# verify task fetches and takes rows from each block that holds some of its documents.
_BLOCK_CHARS = 4 << 20
_BLOCK_DOCS = 4096
_TASK_DOCS = 10_000  # candidate documents per verify task at most (~4 s; its texts in memory)
# and at least, but for the last: ~0.5 s of work against a task's own cost, a fetch from
# each read block (~0.04 s from 29 blocks at 100,000 documents)
_TASK_DOCS_MIN = 800
_STR_FIELDS = ("id", "text", "title", "url", "date", "origin", "problem")
_DOC_COLUMNS = ["key", "id", "text", "title", "url", "date"]  # what verification reads


def _ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as e:
        raise UnspinError(f"--ray needs Ray Data ({e.name} is missing): {RAY_HINT}") from None
    return ray


def check_ray(inputs: Sequence[str]) -> Any:
    """The ray module, or :class:`UnspinError` saying why this run cannot use it."""
    if "-" in inputs:
        raise UnspinError("--ray reads files and directories, not stdin: save it to a file")
    return _ray()


def _schema(pa: Any, fields: Sequence[str]) -> Any:
    types = {
        "key": pa.int64(),
        "comp": pa.int64(),
        "root_key": pa.int64(),
        "data": pa.binary(),
    }
    return pa.schema([(f, types.get(f, pa.string())) for f in fields])


_READ_FIELDS = ("key", *_STR_FIELDS)


def _rows_table(rows: list[dict[str, Any]], fields: Sequence[str]) -> Any:
    import pyarrow as pa

    schema = _schema(pa, fields)
    return pa.Table.from_pydict({f: [r.get(f) for r in rows] for f in fields}, schema=schema)


def _read_items(inputs: Sequence[str], opts: ReadOptions) -> list[dict[str, Any]]:
    """What the read tasks read (:func:`unspin.readers.read_plan`): each input, or the
    parts of an uncompressed JSONL file larger than :data:`_PART_BYTES` (one file is then
    read and sketched by several tasks at once, with the same keys and origins as one
    reader would give), as flat columns."""
    # Flat integer columns (Arrow gives a null struct back as NaN): start -1, a whole input.
    whole = JsonlPart(-1, -1, 0, 0)
    # Relative inputs are read from here: a Ray worker's working directory is not this
    # process's (on a cluster, nor where this process started Ray).
    base = os.getcwd()
    return [
        {
            "input_no": it.number,
            "item": it.path,
            "base": base,
            **{f"part_{k}": v for k, v in asdict(it.part or whole).items()},
        }
        for it in read_plan(inputs, _PART_BYTES, opts)
    ]


def read_batch(
    batch: dict[str, np.ndarray], read_options: ReadOptions, options: ClusterOptions
) -> Iterator[Any]:
    """Read the inputs of ``batch`` (columns ``input_no``, ``item``, ``base``, ``part_*``, see
    :func:`_read_items`) with the package's readers; yields blocks of documents and read
    problems, each with its key, sketched (:func:`sketch_batch`). Sketching here rather
    than in a map of its own: Ray would bundle the read items of a fused map to fill the
    sketch's batches, and one task would read them all."""
    cols = [batch[c].tolist() for c in ("input_no", "item", "base")]
    parts = [batch[f"part_{f.name}"].tolist() for f in fields(JsonlPart)]
    for n, item, base, *part in zip(*cols, *parts, strict=True):
        rows: list[dict[str, Any]] = []
        chars = 0
        p = JsonlPart(*map(int, part))
        read = ReadItem(int(n), str(item), p if p.start >= 0 else None, str(base))
        for k, it in read_item(read, read_options):
            key = (int(n) << KEY_SHIFT) | k
            if isinstance(it, ReadProblem):
                rows.append({"key": key, "origin": it.origin, "problem": it.message})
            else:
                chars += len(it.text)
                rows.append(
                    {
                        "key": key,
                        "id": it.id,
                        "text": it.text,
                        "title": it.title,
                        "url": it.url,
                        "date": it.date,
                        "origin": it.origin,
                    }
                )
            if chars >= _BLOCK_CHARS or len(rows) >= _BLOCK_DOCS:
                yield sketch_batch(_rows_table(rows, _READ_FIELDS), options)
                rows, chars = [], 0
        if rows:
            yield sketch_batch(_rows_table(rows, _READ_FIELDS), options)


def sketch_batch(batch: Any, options: ClusterOptions) -> Any:
    """The block with each document's :func:`unspin.cluster.sketching.sketch_columns` (one MinHash
    computation for the block) as two more columns, null for read problems. Only the
    texts leave Arrow; the other columns pass through as they are."""
    import pyarrow as pa

    texts = batch.column("text").to_pylist()
    good = [i for i, p in enumerate(batch.column("problem").to_pylist()) if p is None]
    sigs, bands = sketch_columns([texts[i] for i in good], options.params)
    sig: list[bytes | None] = [None] * batch.num_rows
    band: list[bytes | None] = [None] * batch.num_rows
    for n, i in enumerate(good):
        sig[i], band[i] = sigs[n].tobytes(), bands[n].tobytes()  # zeros: nothing to sketch
    return batch.append_column("sig", pa.array(sig, pa.binary())).append_column(
        "bands", pa.array(band, pa.binary())
    )


_SKETCH_COLUMNS = ("key", "id", "url", "date", "origin", "problem", "sig", "bands")


def warm_worker(frequencies: bool) -> None:
    """A task that readies its worker process: Ray Data and the verification modules
    imported, and with ``frequencies`` wordfreq's table loaded."""
    import ray.data  # noqa: F401  (what a read task's worker imports first)

    from unspin.cluster.verify import word_zipf

    if frequencies:
        word_zipf()


def sketch_part(block: Any) -> Any:
    """What the driver needs of a read block: every column but the texts and titles."""
    return block.select(list(_SKETCH_COLUMNS))


def buckets(sizes: Sequence[int], workers: int) -> list[int]:
    """A verify task (bucket 0, 1, ...) for each component of ``sizes`` documents. Tasks
    shrink as the work left does (each takes 1/(2 x workers) of the documents left, between
    _TASK_DOCS_MIN and _TASK_DOCS): the big ones first, then smaller ones that let every
    worker finish at about the same time, where equal tasks left one worker idle for half
    a task's time at the end. Components go largest first, so the small ones fill the
    last, small tasks."""
    share = max(1, 2 * workers)

    def size_for(left: int) -> int:
        return min(_TASK_DOCS, max(_TASK_DOCS_MIN, -(-left // share)))

    out = [0] * len(sizes)
    left = sum(sizes)
    task = filled = 0
    target = size_for(left)
    for c in sorted(range(len(sizes)), key=lambda c: -sizes[c]):
        if filled >= target:
            left -= filled
            task, filled, target = task + 1, 0, size_for(left)
        out[c] = task
        filled += sizes[c]
    return out


_PLANS: dict[str, Any] = {}


def _plan(ref: Any) -> Any:
    """The driver's plan (component of each key, edges of each component), fetched once
    per worker process."""
    ray = _ray()
    k = ref.hex()
    if k not in _PLANS:
        _PLANS.clear()
        _PLANS[k] = ray.get(ref)
    return _PLANS[k]


def _bucket_rows(blocks: Sequence[Any], block_no: np.ndarray, row_no: np.ndarray) -> list[Any]:
    """The rows at (``block_no``, ``row_no``) of the materialized read blocks (``blocks``:
    their object refs), in that order. One block at a time: a block comes zero-copy from
    the node's object store (fetched to the node first on a cluster) and is let go before
    the next; only the rows asked for are converted to Python."""
    import pyarrow as pa

    ray = _ray()
    rows: list[Any] = [None] * len(block_no)
    order = np.argsort(block_no, kind="stable")
    for at in np.split(order, np.flatnonzero(np.diff(block_no[order])) + 1):
        if len(at):
            block = ray.get(blocks[int(block_no[at[0]])]).select(_DOC_COLUMNS)
            got = block.take(pa.array(row_no[at], pa.int64())).to_pylist()
            for i, r in zip(at.tolist(), got, strict=True):
                rows[i] = r
    return rows


def verify_bucket(bucket: int, plan: list[Any], blocks: Any, options: ClusterOptions) -> Any:
    """:func:`unspin.cluster.cluster_component` over each component of ``bucket``, as a
    table of encoded clusters. The bucket takes its documents from the read blocks
    (``blocks``: their object refs) instead of a shuffle gathering each component's texts
    (verify stage 3.8 -> 2.9 s at 14,702 documents, 21.6 -> 18.8 s at 100,000:
    bench/RESULTS.md). ``plan``: the driver's plan's ref in a list (a ref passed bare
    would be fetched for each task rather than once per worker)."""
    p = _plan(plan[0])
    # As a local worker does, once the plan is here (its edges need no collections):
    # a Ray worker's heap is large (Ray, Arrow).
    relax_gc()
    out: list[dict[str, Any]] = []
    # The bucket's documents come by component, each component's in key order.
    rows = _bucket_rows(blocks, p["block"][bucket], p["row"][bucket])
    comps = p["comp"][bucket].tolist()
    for c, group in groupby(zip(comps, rows, strict=True), key=itemgetter(0)):
        out.extend(_verify_component([r for _, r in group], p["edges"][c], options))
    return _rows_table(out, ("root_key", "root", "data", "light"))


def _verify_component(
    rows: list[dict[str, Any]], edges: Any, options: ClusterOptions
) -> list[dict[str, Any]]:
    """The encoded clusters of one component from its documents (``rows``, in key order)
    and its candidate ``edges``."""
    out: list[dict[str, Any]] = []
    docs = [
        CandidateDoc(
            key=r["key"],
            id=r["id"],
            text=r["text"],
            url=r["url"],
            site=site_of(r["url"]),
            date=r["date"],
            title=r["title"],
        )
        for r in rows
    ]
    for c in cluster_component(docs, edges, options):
        # The record's JSON as the sink keeps it, and the little the sink reads of
        # it: the driver neither parses nor re-encodes whole records.
        e = EncodedCluster.of(c)
        out.append(
            {
                "root_key": e.root_key,
                "root": e.root,
                "data": e.data,
                "light": json.dumps(e.light),
            }
        )
    return out


def plain_part(block: Any, keys: np.ndarray) -> Any:
    """:func:`unspin.cluster.triage.plainness` of the documents of a read block whose keys
    are ``keys`` (triage: undated candidate documents), as columns ``key`` and ``plain``."""
    import pyarrow as pa

    at = block.column("key").to_numpy()
    take = np.flatnonzero(np.isin(at, keys))
    texts = block.column("text").take(pa.array(take, pa.int64())).to_pylist()
    return pa.table(
        {
            "key": pa.array(at[take], type=pa.int64()),
            "plain": pa.array([plainness(t) for t in texts], type=pa.float64()),
        }
    )


def _add_sketches(table: SketchTable, batch: Any, skipped: list[Skipped]) -> None:
    """A read block's sketch columns (:func:`sketch_part`) into ``table``; its read
    problems onto ``skipped``."""
    p = table.params
    cols = {c: batch.column(c).to_pylist() for c in _SKETCH_COLUMNS}
    good = []
    for i, problem in enumerate(cols["problem"]):
        if problem is not None:
            skipped.append(Skipped(cols["key"][i], cols["origin"][i], problem))
        else:
            good.append(i)
    table.add_columns(
        [(cols["key"][i], cols["id"][i], cols["url"][i], cols["date"][i]) for i in good],
        np.frombuffer(b"".join(cols["sig"][i] for i in good), dtype=np.uint32).reshape(
            -1, p.num_perm
        ),
        np.frombuffer(b"".join(cols["bands"][i] for i in good), dtype=np.int64).reshape(
            -1, p.bands
        ),
        [cols["origin"][i] or "" for i in good],
    )


def _configure_data(ray: Any, progress_bars: bool) -> None:
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = progress_bars
    for name in ("print_on_execution_start", "enable_operator_progress_bars"):
        if hasattr(ctx, name):
            setattr(ctx, name, progress_bars and name != "print_on_execution_start")
    if hasattr(ctx.execution_options, "verbose_progress"):
        ctx.execution_options.verbose_progress = False
    # Ray Data reserves part of the CPUs for each operator; on a small machine that left
    # one read task running at a time (the one operator here is the read).
    if hasattr(ctx, "op_resource_reservation_enabled"):
        ctx.op_resource_reservation_enabled = False


def start_ray(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Connect to ``address`` or start a local Ray of ``num_cpus`` CPUs; False if Ray was
    already running."""
    ray = _ray()
    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    common: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR}
    if address:
        try:
            ray.init(address=address, **common)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise UnspinError(
                f"--ray-address {address}: cannot join a Ray cluster there: {join_failure(e)}"
            ) from None
    else:
        # "local": a Ray of its own, even where `ray start` left a cluster to join.
        ray.init(
            address="local",
            num_cpus=num_cpus or os.cpu_count() or 1,
            include_dashboard=False,
            **common,
        )
    return True


def join_failure(e: BaseException) -> str:
    """Why ``ray.init(address=...)`` failed, on one line: Ray puts the cause's whole
    traceback in its message, and the last error named there says what happened."""
    chain: list[BaseException] = [e]
    while chain[-1].__cause__ is not None and len(chain) < 8:
        chain.append(chain[-1].__cause__)
    text = "\n".join(str(x) for x in chain)
    named = re.findall(r"^[\w.]*(?:Error|Exception): (.+)$", text, re.M)
    line = named[-1] if named else (str(e).splitlines() or [type(e).__name__])[0]
    reason = line.split(". ")[0].rstrip(".")
    if "InvalidAuthToken" in text:
        reason += " (the cluster uses Ray's token authentication: set RAY_AUTH_TOKEN)"
    return reason


def cluster_inputs_ray(
    inputs: Sequence[str],
    read_options: ReadOptions | None = None,
    options: ClusterOptions | None = None,
    *,
    address: str | None = None,
    progress: Progress | None = None,
    progress_bars: bool = False,
    on_skip: Callable[[Skipped], None] | None = None,
) -> ClusterResult:
    """:func:`unspin.cluster.cluster_inputs` as a Ray Data job; the same result."""
    ray = check_ray(inputs)
    opts = options or ClusterOptions()
    if opts.archive:  # opened by the verify tasks, whose working directory is not ours
        opts = replace(opts, archive=os.path.abspath(opts.archive))
    ropts = read_options or ReadOptions()
    started = start_ray(address, opts.workers)
    try:
        t0 = time.perf_counter()
        # A worker per CPU imports Ray Data and unspin now, while this process sets Ray
        # Data up and Ray Data starts its actors, rather than once a read task reaches it
        # (the first read task began ~1 s sooner at 14,702 documents: bench/RESULTS.md).
        cpus = int(ray.cluster_resources().get("CPU", 1))
        warm = ray.remote(warm_worker)
        for _ in range(cpus):
            warm.remote(False)
        _configure_data(ray, progress_bars)
        items = _read_items([str(x) for x in inputs], ropts)
        # One block per item, so that each is a task of its own (a block is one task's).
        ds = ray.data.from_items(items, override_num_blocks=len(items))
        ds = ds.map_batches(
            read_batch,
            batch_size=1,
            fn_kwargs={"read_options": ropts, "options": opts},
        )
        table = SketchTable(opts.params)
        skipped: list[Skipped] = []
        # Each read block's sketch columns, by a task next to the block (Ray Data's
        # select_columns and iter_batches took 0.37 to 0.51 s at 100,000 documents, plain
        # tasks 0.17 s), taken in while the reads go on: this process's share of the
        # work (~1 s at 100,000 documents) then fills the cores the last reads leave idle.
        # The blocks stay in the object store for the verify tasks (their refs are held).
        project = ray.remote(sketch_part)
        blocks: list[Any] = []
        block_keys: list[np.ndarray] = []  # each block's keys, for the triage's texts
        projecting: dict[Any, int] = {}  # a projection's ref -> its block's number

        def take(refs: list[Any]) -> None:
            for ref in refs:
                b = projecting.pop(ref)
                batch = ray.get(ref)
                block_keys[b] = batch.column("key").to_numpy()
                _add_sketches(table, batch, skipped)
                if progress:
                    progress("sketch", batch.num_rows)

        for bundle in ds.iter_internal_ref_bundles():
            for ref in bundle.block_refs:
                projecting[project.remote(ref)] = len(blocks)
                blocks.append(ref)
                block_keys.append(np.zeros(0, dtype=np.int64))
            take(ray.wait(list(projecting), num_returns=len(projecting), timeout=0)[0])
        take(list(projecting))
        skipped.extend(table.finish())
        skipped.sort(key=lambda s: s.key)
        if on_skip:
            for s in skipped:
                on_skip(s)

        t1 = time.perf_counter()
        if opts.verify and opts.frequency and None in table.dates:
            # Undated documents: choosing roots may take wordfreq, which the workers load
            # now, while this process looks for candidates (as the local runner's do).
            for _ in range(cpus):
                warm.remote(True)
        comps, stats = find_candidates(table, opts)
        sink = ClusterSink()
        sink.timings.update(sketch=t1 - t0, candidates=sink.started - t1)
        if not opts.verify and not opts.archive:
            # Triage groups on the driver; undated members' plainness comes from a task
            # next to each read block that holds some (no shuffle).
            need = np.array(
                [
                    int(table.keys[r])
                    for c in comps
                    if needs_text([table.dates[r] for r in c.rows], opts)
                    for r in c.rows
                ],
                dtype=np.int64,
            )
            plains: dict[int, float | None] = {}
            if len(need):
                plain = ray.remote(plain_part)
                parts = []
                for b, at in zip(blocks, block_keys, strict=True):
                    mine = at[np.isin(at, need)]
                    if len(mine):
                        parts.append(plain.remote(b, mine))
                for part in map(ray.get, parts):
                    plains.update(
                        zip(
                            part.column("key").to_pylist(),
                            part.column("plain").to_pylist(),
                            strict=True,
                        )
                    )
            for c in comps:
                docs = candidate_docs(table, c, None)
                done = 0
                got = [plains[d.key] for d in docs] if docs[0].key in plains else None
                for cl in group_component(docs, opts, got):
                    sink.add(cl)
                    done += len(cl.members)
                if progress:
                    progress("verify", done)
            comps = []
        if comps:
            # Components shared out to buckets, each one task that reads its documents
            # from the read blocks (no shuffle), by component and, within one, in key
            # order; the larger buckets go first.
            sizes = [len(c.rows) for c in comps]
            of_comp = buckets(sizes, cpus)
            nb = max(of_comp) + 1
            comp_no = np.repeat(np.arange(len(comps)), sizes)
            bucket = np.asarray(of_comp, dtype=np.int64)[comp_no]
            keys = table.keys[np.concatenate([c.rows for c in comps])]
            order = np.lexsort((keys, comp_no, bucket))
            # Where each document is: its read block and row there.
            at_keys = np.concatenate(block_keys)
            by_key = np.argsort(at_keys, kind="stable")
            block_of = np.repeat(np.arange(len(block_keys)), [len(k) for k in block_keys])
            row_of = np.concatenate([np.arange(len(k)) for k in block_keys])
            at = by_key[np.searchsorted(at_keys, keys[order], sorter=by_key)]
            cuts = np.searchsorted(bucket[order], np.arange(1, nb))
            plan: dict[str, Any] = {
                "edges": [c.edges for c in comps],
                "block": np.split(block_of[at], cuts),
                "row": np.split(row_of[at], cuts),
                "comp": np.split(comp_no[order], cuts),
            }
            plan_ref = ray.put(plan)
            used = [b for b in range(nb) if len(plan["comp"][b])]
            # Plain tasks, taken as they finish: a task returns its bucket's clusters at
            # its end, so a Ray Data map over the bucket numbers streamed nothing sooner
            # and cost another execution's start (~0.5 s).
            verify = ray.remote(verify_bucket)
            pending = [verify.remote(b, [plan_ref], blocks, opts) for b in used]
            while pending:
                [done_ref], pending = ray.wait(pending, num_returns=1)
                batch = ray.get(done_ref)
                del done_ref
                done = 0
                for key, root, data, light in zip(
                    *(batch.column(c).to_pylist() for c in ("root_key", "root", "data", "light")),
                    strict=True,
                ):
                    e = EncodedCluster(key, root, data, json.loads(light))
                    sink.add_encoded(e)
                    done += int(e.light["size"])
                if progress:
                    progress("verify", done)
        return sink.result(table, skipped, stats)
    finally:
        if started:
            ray.shutdown()
