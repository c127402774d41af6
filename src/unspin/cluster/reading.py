"""What the local runner's workers read, and how: a plan of read tasks over the inputs,
and a worker's reading (texts spilled to its own file, sketches and metadata sent back).

Large uncompressed JSONL files are read in parts, the files of a directory a few per
task; what one reply could not carry (stdin, very large files, a directory holding one)
is read by the main process as a stream. Either way records are numbered as
:func:`numbered` numbers them.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from unspin.cluster.options import KEY_SHIFT
from unspin.cluster.sketching import sketch_columns
from unspin.cluster.texts import SpillWriter, worker_spill
from unspin.document import Document
from unspin.fingerprint import FingerprintParams
from unspin.readers import (
    ReadItem,
    ReadOptions,
    ReadProblem,
    directory_files,
    file_format,
    read_inputs,
    read_item,
    read_plan,
)


def numbered(
    inputs: Sequence[str], opts: ReadOptions | None = None
) -> Iterator[tuple[int, Document | ReadProblem]]:
    """What :func:`unspin.readers.read_inputs` yields, with each item's key."""
    for n, item in enumerate(inputs):
        for k, it in enumerate(read_inputs([item], opts)):
            yield (n << KEY_SHIFT) | k, it


@dataclass(frozen=True)
class ReadTask:
    """Shares of the inputs read together: by a worker, or (``here``) by the main process
    as a stream, when one reply could not carry them."""

    items: tuple[ReadItem, ...]
    here: bool = False


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


# What a reader keeps of each record, in order (the main process numbers them): a read
# problem (origin, message) or a document (origin, id, url, date, and where its text is
# in a spill file: offset, text bytes, title bytes or -1, as SpillWriter.put gives them).
Read = tuple[str, str] | tuple[str, str, str | None, str | None, int, int, int]


def read_row(it: Document | ReadProblem, spill: SpillWriter) -> Read:
    """What a reader keeps of ``it``, its text and title spilled to ``spill``."""
    if isinstance(it, ReadProblem):
        return it.origin, it.message
    return (it.origin or it.id, it.id, it.url, it.date, *spill.put(it.text, it.title))


@dataclass(frozen=True)
class ReadSketch:
    items: tuple[ReadItem, ...]
    rows: list[list[Read]]  # per item
    signatures: np.ndarray  # one row per document of rows, in order (not per problem)
    bands: np.ndarray
    spill: str  # the spill file the documents' texts are in


def read_and_sketch(job: ReadJob) -> ReadSketch:
    """A worker's share of reading: the documents' texts go to its spill file and only
    their sketches and metadata come back (the texts do not pass through the parent)."""
    spill = worker_spill(job.spill_dir)
    rows: list[list[Read]] = []
    sigs: list[np.ndarray] = []
    bands: list[np.ndarray] = []
    texts: list[str] = []

    def sketch() -> None:
        s, b = sketch_columns(texts, job.params)
        sigs.append(s)
        bands.append(b)
        texts.clear()

    for item in job.items:
        mine: list[Read] = []
        rows.append(mine)
        for _, it in read_item(item, job.read_options):
            mine.append(read_row(it, spill))
            if isinstance(it, ReadProblem):
                continue
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


def plan_reads(inputs: Sequence[str], opts: ReadOptions) -> list[ReadTask]:
    """The inputs as read tasks: a part of a large JSONL file, a file, or a few files of a
    directory for a worker each; an input one reply could not carry is read here."""
    tasks: list[ReadTask] = []
    for it in read_plan(inputs, PART_BYTES, opts):
        if it.part is not None:
            tasks.append(ReadTask((it,)))
            continue
        path = Path(it.path)
        files = directory_files(path) if it.path != "-" and path.is_dir() else None
        if files is None:
            tasks.append(ReadTask((it,), here=not _worker_reads(path, opts)))
            continue
        sizes = [_size(f) for f in files]
        if files and all(_fits_reply(f, n, opts) for f, n in zip(files, sizes, strict=True)):
            tasks.extend(_file_groups(it.number, files, sizes))
        else:  # an empty directory (the reader reports it) or one with a large file
            tasks.append(ReadTask((it,), here=True))
    return tasks


_GROUP_FILES = 64  # files of a directory one task reads, at most
_GROUP_BYTES = 8 << 20  # ... and their size, at most (one file of any size is a task)


def _file_groups(number: int, files: list[Path], sizes: list[int]) -> Iterator[ReadTask]:
    """The files of directory input ``number`` in tasks of a few (a task per small file
    would cost more than reading it)."""
    group: list[ReadItem] = []
    total = 0
    for f, n in zip(files, sizes, strict=True):
        if group and (len(group) >= _GROUP_FILES or total + n > _GROUP_BYTES):
            yield ReadTask(tuple(group))
            group, total = [], 0
        group.append(ReadItem(number, str(f)))
        total += n
    if group:
        yield ReadTask(tuple(group))


# A worker that reads a file whole sends back ~1 KB per document in one reply: a file of
# many small documents (JSONL, Parquet, text) goes to a worker up to this size, a file of
# web pages (WARC, HTML: large pages, slow extraction) up to a much larger one.
_WORKER_FILE_BYTES = 32 << 20
_WORKER_PAGES_BYTES = 2 << 30


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # the worker's reader reports what is wrong


def _fits_reply(path: Path, size: int, opts: ReadOptions) -> bool:
    fmt = file_format(str(path), opts)
    return size <= (_WORKER_PAGES_BYTES if fmt in ("warc", "html") else _WORKER_FILE_BYTES)


def _worker_reads(path: Path, opts: ReadOptions) -> bool:
    """Whether a worker reads input ``path`` (not a directory) whole: not stdin, and a
    file one reply can carry (a missing one too: the worker's reader reports it)."""
    if str(path) == "-":
        return False
    try:
        st = path.stat()
    except OSError:
        return True
    return stat.S_ISREG(st.st_mode) and _fits_reply(path, st.st_size, opts)
