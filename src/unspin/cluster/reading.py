"""What the local runner's workers read, and how: a plan of read tasks over the inputs,
and a worker's reading (texts spilled to its own file, sketches and metadata sent back).

Large uncompressed JSONL files are read in parts, the files of a directory a few per
task; what one reply could not carry (stdin, very large files, a directory holding one)
is read by the main process as a stream, numbered as :func:`numbered` numbers it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from unspin.cluster.options import KEY_SHIFT
from unspin.cluster.sketching import sketch_columns
from unspin.cluster.texts import worker_spill
from unspin.document import Document
from unspin.fingerprint import FingerprintParams
from unspin.readers import (
    ReadItem,
    ReadOptions,
    ReadProblem,
    detect_format,
    directory_files,
    read_inputs,
    read_item,
    read_plan,
)


def numbered(
    inputs: Sequence[str], opts: ReadOptions | None = None
) -> Iterator[tuple[int, Document | ReadProblem]]:
    """What :func:`unspin.readers.read_inputs` yields, with each item's key."""
    for n, item in enumerate(inputs):
        yield from numbered_input(n, item, opts)


def numbered_input(
    n: int, item: str, opts: ReadOptions | None = None
) -> Iterator[tuple[int, Document | ReadProblem]]:
    """:func:`numbered` of input number ``n``, ``item``."""
    for k, it in enumerate(read_inputs([item], opts)):
        yield (n << KEY_SHIFT) | k, it


# A large uncompressed JSONL file is read by the workers in parts of about this size.
PART_BYTES = 4 << 20
_SKETCH_ROWS = 256  # documents a reading worker sketches at once


@dataclass(frozen=True)
class ReadJob:
    """Read shares of the inputs in a worker, spill their texts, sketch them."""

    items: tuple[ReadItem, ...]  # one part of a large file, or one or more whole files
    read_options: ReadOptions
    params: FingerprintParams
    spill_dir: str


# What a reading worker sends back for each record of its item, in order (the parent
# numbers them): a read problem (origin, message) or a document (origin, id, url, date,
# title bytes, text bytes, offset in the spill file).
_Read = tuple[str, str] | tuple[str, str, str | None, str | None, int, int, int]


@dataclass(frozen=True)
class ReadSketch:
    items: tuple[ReadItem, ...]
    rows: list[list[_Read]]  # per item
    signatures: np.ndarray  # one row per document of rows, in order (not per problem)
    bands: np.ndarray
    spill: str  # the spill file the documents' texts are in


def read_and_sketch(job: ReadJob) -> ReadSketch:
    """A worker's share of reading: the documents' texts go to its spill file and only
    their sketches and metadata come back (the texts do not pass through the parent)."""
    spill = worker_spill(job.spill_dir)
    rows: list[list[_Read]] = []
    sigs: list[np.ndarray] = []
    bands: list[np.ndarray] = []
    texts: list[str] = []

    def sketch() -> None:
        s, b = sketch_columns(texts, job.params)
        sigs.append(s)
        bands.append(b)
        texts.clear()

    for item in job.items:
        mine: list[_Read] = []
        rows.append(mine)
        for _, it in read_item(item, job.read_options):
            if isinstance(it, ReadProblem):
                mine.append((it.origin, it.message))
                continue
            offset, length, title_length = spill.put(it.text, it.title)
            mine.append((it.origin or it.id, it.id, it.url, it.date, title_length, length, offset))
            texts.append(it.text)
            if len(texts) >= _SKETCH_ROWS:
                sketch()
                _count_read(_SKETCH_ROWS)
    if texts or not sigs:
        _count_read(len(texts))
        sketch()
    spill.flush()
    return ReadSketch(job.items, rows, np.concatenate(sigs), np.concatenate(bands), spill.path)


def _count_read(n: int) -> None:
    if _read_count is not None and n:
        with _read_count.get_lock():
            _read_count.value += n


_read_count: Any = None  # a worker's counter of documents read, shared with the parent


def count_reads_in(counter: Any) -> None:
    """Count the documents this worker reads in ``counter`` (a shared integer: the
    parent shows the workers' reading as progress)."""
    global _read_count
    _read_count = counter


def plan_reads(
    inputs: Sequence[str], opts: ReadOptions
) -> list[tuple[ReadItem, ...] | Iterator[tuple[int, Document | ReadProblem]]]:
    """The inputs as read tasks for the workers (groups of :class:`ReadItem` s), or, where
    one reply could not carry an input, its documents read here as a stream."""
    sources: list[tuple[ReadItem, ...] | Iterator[tuple[int, Document | ReadProblem]]] = []
    for it in read_plan(inputs, PART_BYTES, opts):
        path = Path(it.path)
        files = directory_files(path) if it.path != "-" and path.is_dir() else None
        if it.part is not None or (files is None and _worker_reads(it.path, opts)):
            sources.append((it,))
        elif files and all(_worker_reads(str(f), opts) for f in files):
            sources.extend(_file_groups(it.number, files))
        else:  # stdin, a large file, an empty directory or one with a large file
            sources.append(numbered_input(it.number, it.path, opts))
    return sources


_GROUP_FILES = 64  # files of a directory one task reads, at most
_GROUP_BYTES = 8 << 20  # ... and their size, at most (one file of any size is a task)


def _file_groups(number: int, files: list[Path]) -> Iterator[tuple[ReadItem, ...]]:
    """The files of directory input ``number`` in tasks of a few (a task per small file
    would cost more than reading it)."""
    group: list[ReadItem] = []
    size = 0
    for f in files:
        n = f.stat().st_size
        if group and (len(group) >= _GROUP_FILES or size + n > _GROUP_BYTES):
            yield tuple(group)
            group, size = [], 0
        group.append(ReadItem(number, str(f)))
        size += n
    if group:
        yield tuple(group)


# A worker that reads a file whole sends back ~1 KB per document in one reply: a file of
# many small documents (JSONL, Parquet, text) goes to a worker up to this size, a file of
# web pages (WARC, HTML: large pages, slow extraction) up to a much larger one.
_WORKER_FILE_BYTES = 32 << 20
_WORKER_PAGES_BYTES = 2 << 30


def _worker_reads(path: str, opts: ReadOptions) -> bool:
    """Whether a worker reads file ``path`` whole, or this process reads it as a stream
    (a large file)."""
    try:
        st = Path(path).stat()
    except OSError:
        return True  # the worker's reader reports what is wrong
    if not Path(path).is_file():
        return False
    fmt = detect_format(path) if opts.format == "auto" else opts.format
    return st.st_size <= (_WORKER_PAGES_BYTES if fmt in ("warc", "html") else _WORKER_FILE_BYTES)
