"""Read documents from plain text files, directories, JSONL (optionally gzipped) and stdin.

Readers never raise on bad input: they yield a :class:`ReadProblem` for what they could
not read (with the file and line) and go on with the rest, so one bad record never costs
a batch.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from unspin.document import Document

Format = Literal["auto", "text", "jsonl"]
DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # a news article is ~10 KB; 10 MB is not an article
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")


@dataclass(frozen=True)
class ReadProblem:
    origin: str  # "file", "file:LINE" or "-"
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"


@dataclass(frozen=True)
class ReadOptions:
    format: Format = "auto"
    encoding: str = "utf-8"
    text_field: str = "text"
    id_field: str = "id"
    max_bytes: int = DEFAULT_MAX_BYTES


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise ValueError(
            f"not valid {encoding} (bad byte at offset {e.start}); "
            "pass --encoding with the file's encoding"
        ) from None
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(head) * 0.1


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a document, or None."""
    if not text.strip():
        return "empty document"
    if not any(ch.isalnum() for ch in text[:100_000]):
        return "no words in document"
    return None


def _read_text(data: bytes, origin: str, doc_id: str, opts: ReadOptions) -> Document | ReadProblem:
    if len(data) > opts.max_bytes:
        return ReadProblem(
            origin, f"too large ({_mb(len(data))} > {_mb(opts.max_bytes)}); raise --max-bytes"
        )
    if not data.strip():
        return ReadProblem(origin, "empty file")
    if _looks_binary(data):
        return ReadProblem(origin, "binary file, not text")
    try:
        text = _decode(data, opts.encoding)
    except ValueError as e:
        return ReadProblem(origin, str(e))
    if text.startswith("\ufeff"):
        text = text[1:]
    problem = text_problem(text)
    if problem:
        return ReadProblem(origin, problem)
    return Document(id=doc_id, text=text, origin=origin)


def _jsonl_records(
    stream: Iterable[bytes], origin: str, opts: ReadOptions
) -> Iterator[Document | ReadProblem]:
    for lineno, raw in enumerate(stream, start=1):
        where = f"{origin}:{lineno}"
        if not raw.strip():
            continue
        if len(raw) > opts.max_bytes:
            yield ReadProblem(where, f"record too large ({_mb(len(raw))}); raise --max-bytes")
            continue
        try:
            line = _decode(raw, opts.encoding)
        except ValueError as e:
            yield ReadProblem(where, str(e))
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            yield ReadProblem(where, f"malformed JSON ({e.msg} at column {e.colno})")
            continue
        if not isinstance(rec, dict):
            yield ReadProblem(where, "not a JSON object")
            continue
        text = rec.get(opts.text_field)
        if not isinstance(text, str):
            yield ReadProblem(where, f"no string field {opts.text_field!r}")
            continue
        problem = text_problem(text)
        if problem:
            yield ReadProblem(where, problem)
            continue
        raw_id = rec.get(opts.id_field)
        doc_id = str(raw_id) if raw_id not in (None, "") else where
        meta = {k: v for k, v in rec.items() if k not in (opts.text_field, opts.id_field)}
        yield Document(
            id=doc_id,
            text=text,
            title=_str_or_none(meta.pop("title", None)),
            url=_str_or_none(meta.pop("url", None)),
            date=_str_or_none(meta.pop("date", None)),
            origin=where,
            meta=meta,
        )


def _str_or_none(v: object) -> str | None:
    return None if v is None else str(v)


def _is_jsonl(path: str, opts: ReadOptions) -> bool:
    if opts.format != "auto":
        return opts.format == "jsonl"
    return path.lower().endswith(_JSONL_SUFFIXES)


def _read_file(path: Path, label: str, opts: ReadOptions) -> Iterator[Document | ReadProblem]:
    try:
        if _is_jsonl(label, opts):
            opener = gzip.open if label.lower().endswith(".gz") else open
            with opener(path, "rb") as f:
                yield from _jsonl_records(f, label, opts)
            return
        size = path.stat().st_size
        if size > opts.max_bytes:
            yield ReadProblem(
                label, f"too large ({_mb(size)} > {_mb(opts.max_bytes)}); raise --max-bytes"
            )
            return
        yield _read_text(path.read_bytes(), label, label, opts)
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        yield ReadProblem(label, f"cannot read: {getattr(e, 'strerror', None) or e}")


def read_inputs(
    inputs: Iterable[str], opts: ReadOptions | None = None
) -> Iterator[Document | ReadProblem]:
    """Documents from each input: a file, a directory (recursively) or ``-`` for stdin."""
    opts = opts or ReadOptions()
    for item in inputs:
        if item == "-":
            if opts.format == "jsonl":
                yield from _jsonl_records(sys.stdin.buffer, "-", opts)
            else:
                yield _read_text(sys.stdin.buffer.read(opts.max_bytes + 1), "-", "stdin", opts)
            continue
        path = Path(item)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.parts[-1:])
            )
            if not files:
                yield ReadProblem(item, "directory has no files")
            for p in files:
                yield from _read_file(p, str(p), opts)
        elif path.exists():
            yield from _read_file(path, item, opts)
        else:
            yield ReadProblem(item, "no such file or directory")
