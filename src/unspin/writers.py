"""Write batch results (e.g. ``TraceReport.to_dict()``) to JSONL or Parquet.

``open_writer(path)`` picks the format by extension. JSONL is written as it goes, one
flushed line per record, so a reader can follow it. Parquet is written to a hidden
temporary file beside the target and renamed over it on :meth:`ResultWriter.close`; if
the writing fails or is interrupted the temporary file is removed, so a half-written
file never poses as a complete one.

Parquet columns: the report fields have fixed Arrow types (see :data:`REPORT_SCHEMA`), so
empty lists and nulls in the first rows do not matter. Any other field becomes a string
column: plain strings as they are, other values as JSON (field metadata
``unspin.encoding = json``). The columns are those of the first buffered rows: a record
with a field none of them had is refused with :class:`UnspinError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from unspin.errors import UnspinError

PARQUET_BATCH_ROWS = 1000
_JSONL_SUFFIXES = (".jsonl", ".ndjson")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_JSON_META = {b"unspin.encoding": b"json"}


def _report_schema() -> Any:
    """Arrow types of the fields of ``TraceReport.to_dict()``, in its order."""
    import pyarrow as pa

    source = pa.struct(
        [
            ("id", pa.string()),
            ("score", pa.float64()),
            ("coverage", pa.float64()),
            ("reused", pa.float64()),
            ("title", pa.string()),
            ("url", pa.string()),
        ]
    )
    substitution = pa.struct(
        [
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("text", pa.string()),
            ("original", pa.string()),
            ("source_id", pa.string()),
        ]
    )
    return pa.schema(
        [
            ("id", pa.string()),
            ("verdict", pa.string()),
            ("sources", pa.list_(source)),
            ("substitutions", pa.list_(substitution)),
            ("restored", pa.string()),
            ("evasions", pa.map_(pa.string(), pa.int64())),
        ]
    )


class ResultWriter:
    """Base class: ``write`` records, then ``close`` (or use as a context manager)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0  # records written
        self.closed = False

    def write(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Finish the file. Safe to call twice."""
        raise NotImplementedError

    def abort(self) -> None:
        """Stop after a failure: release the file without claiming it is complete."""
        self.close()

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class JsonlWriter(ResultWriter):
    """One JSON object per line, UTF-8, flushed after each record."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        if not path.parent.is_dir():
            raise UnspinError(f"cannot write {path}: no directory {path.parent}")
        self._f: IO[str] | None = None

    def _file(self) -> IO[str]:
        if self._f is None:
            try:
                self._f = open(self.path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
            except OSError as e:
                raise UnspinError(f"cannot write {self.path}: {e.strerror or e}") from None
        return self._f

    def write(self, record: dict[str, Any]) -> None:
        self.write_json(json.dumps(record, ensure_ascii=False))

    def write_json(self, text: str) -> None:
        """Write a record given as the JSON text of one object (no line break)."""
        if self.closed:
            raise ValueError("write to a closed writer")
        f = self._file()
        f.write(text + "\n")
        f.flush()
        self.count += 1

    def close(self) -> None:
        if self.closed:
            return
        f = self._file()  # an empty run still leaves an (empty) file
        self.closed = True
        f.close()

    def abort(self) -> None:  # keep the lines written so far: each one is complete
        if self._f is not None and not self.closed:
            self._f.close()
        self.closed = True


class ParquetResultWriter(ResultWriter):
    """Rows buffered into batches of ``batch_rows``; written to a temp file, renamed on close."""

    def __init__(self, path: Path, batch_rows: int = PARQUET_BATCH_ROWS) -> None:
        super().__init__(path)
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise UnspinError(
                f"writing Parquet ({path}) needs the crawl extra: pip install 'unspin[crawl]'"
            ) from None
        self._pa: Any = pa
        self._pq: Any = pq
        if not path.parent.is_dir():
            raise UnspinError(f"cannot write {path}: no directory {path.parent}")
        self.batch_rows = max(1, batch_rows)
        self._rows: list[dict[str, Any]] = []
        self._known = _report_schema()
        self._schema: Any = None
        self._writer: Any = None
        self._tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")

    # schema --------------------------------------------------------------------------------

    def _make_schema(self, rows: list[dict[str, Any]]) -> Any:
        pa = self._pa
        keys: dict[str, None] = {}
        for r in rows:
            keys.update(dict.fromkeys(r))
        if not keys:  # nothing written, or only empty records: the report columns
            return self._known
        fields = [self._known.field(k) for k in self._known.names if k in keys]
        for k in keys:
            if k in self._known.names:
                continue
            if not isinstance(k, str):
                raise UnspinError(f"cannot write field {k!r} to Parquet: names must be strings")
            plain = all(isinstance(r.get(k), str | None) for r in rows)
            fields.append(pa.field(k, pa.string(), metadata=None if plain else _JSON_META))
        return pa.schema(fields)

    def _column(self, f: Any, rows: list[dict[str, Any]]) -> Any:
        pa = self._pa
        values = [r.get(f.name) for r in rows]
        if f.name not in self._known.names:
            if f.metadata == _JSON_META:
                values = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
            else:
                values = [
                    v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                    for v in values
                ]
        elif pa.types.is_map(f.type):  # (key, value) pairs: what every pyarrow accepts
            values = [list(v.items()) if isinstance(v, dict) else v for v in values]
        try:
            return pa.array(values, type=f.type)
        except (pa.ArrowException, TypeError, ValueError) as e:
            raise UnspinError(f"cannot write field {f.name!r} as {f.type}: {e}") from None

    # writing -------------------------------------------------------------------------------

    def _flush(self) -> None:
        rows, self._rows = self._rows, []
        if self._schema is None:
            self._schema = self._make_schema(rows)
        names = set(self._schema.names)
        extra = sorted({k for r in rows for k in r} - names, key=str)
        if extra:
            raise UnspinError(
                f"cannot add field(s) {', '.join(map(str, extra))} to {self.path}: the Parquet "
                f"columns were fixed by the first {self.batch_rows} records"
            )
        table = self._pa.Table.from_arrays(
            [self._column(f, rows) for f in self._schema], schema=self._schema
        )
        if self._writer is None:
            try:
                self._writer = self._pq.ParquetWriter(str(self._tmp), self._schema)
            except OSError as e:
                raise UnspinError(f"cannot write {self.path}: {e}") from None
        if rows:
            self._writer.write_table(table)

    def write(self, record: dict[str, Any]) -> None:
        if self.closed:
            raise ValueError("write to a closed writer")
        self._rows.append(record)
        self.count += 1
        if len(self._rows) >= self.batch_rows:
            self._flush()

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._rows or self._writer is None:
                self._flush()
            self._writer.close()
            _fsync(self._tmp)
            os.replace(self._tmp, self.path)
        except BaseException:
            self.abort()
            raise
        self.closed = True

    def abort(self) -> None:
        self.closed = True
        self._rows = []
        if self._writer is not None:
            with contextlib.suppress(Exception):  # already failing: the temp file goes anyway
                self._writer.close()
            self._writer = None
        self._tmp.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_writer(path: str | Path) -> ResultWriter:
    """A writer for ``path``: JSONL (.jsonl, .ndjson) or Parquet (.parquet, .pq)."""
    p = Path(path)
    name = p.name.lower()
    if name.endswith(_JSONL_SUFFIXES):
        return JsonlWriter(p)
    if name.endswith(_PARQUET_SUFFIXES):
        return ParquetResultWriter(p)
    known = ", ".join(_JSONL_SUFFIXES + _PARQUET_SUFFIXES)
    raise UnspinError(f"cannot tell the output format of {str(path)!r}: name it {known}")
