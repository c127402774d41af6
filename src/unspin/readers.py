"""Read documents from plain text, HTML pages, WARC/ARC crawls, Parquet, JSONL (optionally
gzipped), directories and stdin.

Readers never raise on bad input: they yield a :class:`ReadProblem` for what they could
not read (with the file and line, record or row) and go on with the rest, so one bad
record never costs a batch.

HTML, WARC and Parquet need the ``crawl`` extra (trafilatura, warcio, pyarrow), imported
only when such an input is met; without it each such input is one ``ReadProblem``.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import gzip
import importlib
import io
import json
import logging
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, get_args
from urllib.parse import urljoin

from unspin.document import Document

Format = Literal["auto", "text", "jsonl", "html", "warc", "parquet"]
FORMATS: tuple[str, ...] = get_args(Format)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # a news article is ~10 KB; 10 MB is not an article
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_HTML_MIME = frozenset({"text/html", "application/xhtml+xml"})
CRAWL_HINT = "pip install 'unspin[crawl]'"
_PARQUET_BATCH = 1024


@dataclass(frozen=True)
class ReadProblem:
    origin: str  # "file", "file:LINE", "file#RECORD", "file#rowN" or "-"
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"


@dataclass(frozen=True)
class ReadOptions:
    format: Format = "auto"
    encoding: str = "utf-8"  # for HTML: used only when the page declares no charset
    text_field: str = "text"
    id_field: str = "id"
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass
class ReadStats:
    """What readers passed over on purpose (not problems). Pass one to :func:`read_inputs`."""

    warc_records_ignored: int = 0  # requests, metadata, non-HTML or non-200 responses
    ignored_by_type: dict[str, int] = field(default_factory=dict)

    def ignore(self, kind: str) -> None:
        self.warc_records_ignored += 1
        self.ignored_by_type[kind] = self.ignored_by_type.get(kind, 0) + 1


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _too_large(n: int, opts: ReadOptions) -> str:
    return f"too large ({_mb(n)} > {_mb(opts.max_bytes)}); raise --max-bytes"


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


def text_problem(text: str, what: str = "text") -> str | None:
    """Why ``text`` cannot be a document, or None (``what``: how a message names it)."""
    if not text.strip():
        return "empty document"
    surrogate = surrogate_problem(text, what)
    if surrogate:
        return surrogate
    if not any(ch.isalnum() for ch in text[:100_000]):
        return "no words in document"
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogate_problem(value: str, what: str) -> str | None:
    """Why ``value`` is not Unicode text, or None: a JSON string can escape a lone half of
    a surrogate pair ("\\ud83d"), which no UTF-8 output can hold."""
    if value.isascii():  # O(1): most texts stop here
        return None
    m = _SURROGATE.search(value)
    if m is None:
        return None
    return f"{what} holds an unpaired surrogate at character {m.start()} (not Unicode text)"


def detect_format(name: str) -> Format:
    """The format a file name implies (never "auto"); "text" when nothing else fits."""
    low = name.lower()
    if low.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    if low.endswith(_HTML_SUFFIXES):
        return "html"
    if low.endswith(_WARC_SUFFIXES):
        return "warc"
    if low.endswith(_PARQUET_SUFFIXES):
        return "parquet"
    return "text"


def looks_like_html(data: bytes) -> bool:
    """Whether the first non-space bytes are ``<!doctype html`` or ``<html``."""
    head = data[:1024]
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    return head.lstrip()[:14].lower().startswith((b"<!doctype html", b"<html"))


# -- optional packages ---------------------------------------------------------------------


@functools.cache
def _crawl_missing(module: str, what: str) -> str | None:
    """None if ``module`` imports, else the problem message for reading ``what``."""
    try:
        importlib.import_module(module)
    except ImportError as e:
        msg = f"reading {what} needs the crawl extra: {CRAWL_HINT}"
        top = module.split(".")[0]
        if e.name is None or not (e.name == top or e.name.startswith(top + ".")):
            msg += f" ({module} is installed but failed to import: {e})"
        elif e.name != top:
            msg += f" ({e})"
        return msg
    return None


# -- plain text ----------------------------------------------------------------------------


def _read_text(data: bytes, origin: str, doc_id: str, opts: ReadOptions) -> Document | ReadProblem:
    if len(data) > opts.max_bytes:
        return ReadProblem(origin, _too_large(len(data), opts))
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


# -- HTML ----------------------------------------------------------------------------------

_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""")
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
# As browsers do (WHATWG Encoding): these labels mean windows-1252, a superset.
_AS_CP1252 = frozenset(
    {"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819"}
    | {"us-ascii", "ascii", "ansi_x3.4-1968", "iso-ir-100", "csisolatin1"}
)
# A page in UTF-16 cannot declare so in ASCII markup: such a declaration is wrong.
_AS_UTF8_IN_MARKUP = frozenset({"utf-16", "utf-16le", "utf-16be", "x-user-defined"})


def _codec(label: str | None, in_markup: bool = False) -> str | None:
    """A Python codec name for a charset label, or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _AS_CP1252:
        return "cp1252"
    if in_markup and label in _AS_UTF8_IN_MARKUP:
        return "utf-8"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value."""
    if not content_type:
        return None
    m = _HEADER_CHARSET.search(content_type)
    return m.group(1) if m else None


def decode_html(data: bytes, declared: str | None = None, fallback: str = "utf-8") -> str:
    """Decode a page: BOM, then ``declared`` (an HTTP header charset), then the page's own
    ``<meta charset>``/XML declaration, then ``fallback``. Never raises."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    codec = _codec(declared)
    if codec is None:
        head = data[:4096]
        m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
        if m:
            codec = _codec(m.group(1).decode("ascii", "replace"), in_markup=True)
    codec = codec or _codec(fallback) or "utf-8"
    try:
        return data.decode(codec, "replace")
    except (LookupError, UnicodeError, TypeError):  # a codec that is not a text encoding
        return data.decode("utf-8", "replace")


_TITLE_SEP = re.compile(r"\s+[|\u2013\u2014\u00b7\u2022:-]\s+")


def _first(tree: Any, xpath: str) -> str | None:
    for v in tree.xpath(xpath):
        text = " ".join(str(v).split())
        if text:
            return text
    return None


def _page_meta(tree: Any, base: str | None) -> tuple[str | None, str | None, str | None]:
    """(title, URL, date) of a parsed page. Title: og/twitter title, else the <h1> when the
    <title> holds it, else the longest part of the <title> (site names cut off). URL:
    og:url, else the canonical link. Date: htmldate's publication date from the markup."""
    from htmldate import find_date

    title = _first(
        tree, '//meta[@property="og:title"]/@content|//meta[@name="twitter:title"]/@content'
    )
    if not title:
        h1 = _first(tree, "//h1//text()")
        head = _first(tree, "//title/text()")
        if head and h1 and h1 in head:
            title = h1
        elif head:
            title = max(_TITLE_SEP.split(head), key=len)
        else:
            title = h1
    url = _first(tree, '//meta[@property="og:url"]/@content') or _first(
        tree, '//link[@rel="canonical"]/@href'
    )
    if url:
        url = urljoin(base, url) if base else url
        if not url.lower().startswith(("http://", "https://")):
            url = None
    date = find_date(tree, extensive_search=False, original_date=True, url=url or base)
    return title, url, date


def _read_html(
    data: bytes,
    origin: str,
    fallback_id: str,
    opts: ReadOptions,
    *,
    url: str | None = None,
    charset: str | None = None,
) -> Document | ReadProblem:
    """One page. ``url`` (e.g. a WARC-Target-URI), when given, is the id and URL; the page's
    own canonical URL then goes to ``meta["canonical_url"]``."""
    if len(data) > opts.max_bytes:
        return ReadProblem(origin, _too_large(len(data), opts))
    if not data.strip():
        return ReadProblem(origin, "empty file")
    missing = _crawl_missing("trafilatura", "HTML")
    if missing:
        return ReadProblem(origin, missing)
    import trafilatura

    html = decode_html(data, charset, opts.encoding)
    if "\x00" in html:
        html = html.replace("\x00", "")
    decl = _XML_DECL.match(html)  # lxml refuses str input that declares an encoding
    if decl:
        html = html[decl.end() :]
    try:
        tree = trafilatura.load_html(html)
        if tree is None:
            return ReadProblem(origin, "no article text found in HTML")
        # Our own title/URL/date: trafilatura's with_metadata=True also looks for authors,
        # licences, categories and tags, and halves the pages read per second.
        title, page_url, date = _page_meta(tree, url)
        page = trafilatura.bare_extraction(
            tree,
            url=url,
            fast=True,  # no fallback extractors
            include_comments=False,
        )
    except Exception as e:  # lxml, htmldate and trafilatura raise more than they document
        return ReadProblem(origin, f"cannot parse HTML ({type(e).__name__}: {e})")
    text = page.get("text") if isinstance(page, dict) else getattr(page, "text", None)
    if not isinstance(text, str) or text_problem(text):
        return ReadProblem(origin, "no article text found in HTML")
    meta: dict[str, Any] = {"format": "html"}
    if url:
        doc_url: str | None = url
        if page_url and page_url != url:
            meta["canonical_url"] = page_url
    else:
        doc_url = page_url
    return Document(
        id=doc_url or fallback_id,
        text=text,
        title=title,
        url=doc_url,
        date=date,
        origin=origin,
        meta=meta,
    )


# -- WARC / ARC ----------------------------------------------------------------------------


class _StderrSink(io.StringIO):
    """Catches warcio's warnings (it writes them to sys.stderr); passes anything else on."""

    def __init__(self, real: IO[str]) -> None:
        super().__init__()
        self.real = real
        self.warnings: list[str] = []

    def write(self, s: str) -> int:
        if "Content-Length" in s or "Record not followed" in s:
            self.warnings.append(" ".join(s.split()))
        else:
            self.real.write(s)
        return len(s)


def _drain(record: Any) -> int:
    """Read the rest of a record's block; the number of bytes its length promised but the
    file did not hold (a truncated record)."""
    raw = record.raw_stream
    while raw.read(1 << 16):
        pass
    missing = getattr(raw, "limit", 0)
    return missing if isinstance(missing, int) else 0


class _TruncatedGzip(Exception):
    """A gzip member that ends early. Not an EOFError: warcio takes those for the end."""


class _WarcSource:
    """The byte stream handed to warcio. Gunzips (multi-member) gzip itself, one member
    chunk per read, so that the records before a truncation still come out and the
    truncation is an error rather than a quiet end of file."""

    def __init__(self, f: IO[bytes]) -> None:
        self.raw = f
        head = f.peek(2)[:2] if hasattr(f, "peek") else b""
        if not head and f.seekable():
            head = f.read(2)
            f.seek(-len(head), io.SEEK_CUR)
        self.gzipped = head == b"\x1f\x8b"
        self._gz = gzip.GzipFile(fileobj=f) if self.gzipped else None
        self._head = b""

    def _read(self, n: int) -> bytes:
        if self._gz is None:
            return self.raw.read(n)
        try:
            return self._gz.read1(n)
        except EOFError:
            raise _TruncatedGzip("the gzip stream ends in the middle of a member") from None

    def head(self, n: int) -> bytes:
        """The first ``n`` bytes (fewer at the end), without consuming them."""
        while len(self._head) < n:
            chunk = self._read(n - len(self._head))
            if not chunk:
                break
            self._head += chunk
        return self._head[:n]

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = [self._head]
            self._head = b""
            while chunk := self._read(1 << 16):
                parts.append(chunk)
            return b"".join(parts)
        if self._head:
            out, self._head = self._head[:n], self._head[n:]
            return out
        return self._read(n)


def _html_response(record: Any, stats: ReadStats | None) -> tuple[str, str | None] | None:
    """(target URI, charset) if ``record`` is an HTML 200 response, else None (counted)."""
    rec_type = str(record.rec_type)
    if rec_type != "response":
        if stats is not None:
            stats.ignore(rec_type)
        return None
    http = record.http_headers
    content_type: str | None = None
    if http is not None:
        status = http.get_statuscode()
        if status != "200":
            if stats is not None:
                stats.ignore(f"response {status}")
            return None
        content_type = http.get_header("Content-Type")
    else:
        content_type = record.rec_headers.get_header("Content-Type")
    if not content_type:
        content_type = record.rec_headers.get_header("WARC-Identified-Payload-Type")
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime not in _HTML_MIME:
        if stats is not None:
            stats.ignore(f"response {mime or 'without content type'}")
        return None
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    return str(uri).strip("<> "), header_charset(content_type)


def _warc_record(
    record: Any, label: str, idx: int, opts: ReadOptions, stats: ReadStats | None
) -> Document | ReadProblem | None:
    where = f"{label}#{idx}"
    wanted = _html_response(record, stats)
    if wanted is None:
        if _drain(record):
            raise EOFError(f"record {idx} is truncated")
        return None
    uri, charset = wanted
    try:
        data = record.content_stream().read(opts.max_bytes + 1)
        bad_payload = None
    except (OSError, EOFError, ValueError) as e:  # e.g. a broken Content-Encoding
        data, bad_payload = b"", f"cannot decode HTTP payload ({type(e).__name__}: {e})"
    missing = _drain(record)
    if missing:
        raise EOFError(f"record {idx} is truncated ({missing:,} bytes missing)")
    if bad_payload:
        return ReadProblem(where, bad_payload)
    if len(data) > opts.max_bytes:
        return ReadProblem(where, _too_large(len(data), opts))
    return _read_html(data, where, where, opts, url=uri or None, charset=charset)


@functools.cache
def _quiet_warcio() -> None:
    # warcio logs fix-ups of odd record headers with no handler of its own: keep them off
    # the terminal unless the application configures logging.
    logging.getLogger("warcio").addHandler(logging.NullHandler())


def _warc_stream(
    f: IO[bytes], label: str, opts: ReadOptions, stats: ReadStats | None
) -> Iterator[Document | ReadProblem]:
    """Records of one WARC/ARC stream, one at a time (memory does not grow with the file)."""
    for module in ("warcio", "trafilatura"):
        missing = _crawl_missing(module, "WARC")
        if missing:
            yield ReadProblem(label, missing)
            return
    from warcio.archiveiterator import ArchiveIterator

    _quiet_warcio()
    idx = 0
    try:
        source = _WarcSource(f)
        head = source.head(64).lstrip(b"\r\n")
        if not head:
            yield ReadProblem(label, "empty file")
            return
        is_arc = head.startswith(b"filedesc://")
        if not (is_arc or head.startswith(b"WARC/")):
            yield ReadProblem(label, f"not a WARC or ARC file (it starts {head[:24]!r})")
            return
        # arc2warc gives ARC records WARC headers; for WARC, leaving it off makes warcio
        # hold to WARC, so a broken record is an error rather than read as ARC lines.
        archive = ArchiveIterator(source, arc2warc=is_arc)
        records = iter(archive)
        while True:
            sink = _StderrSink(sys.stderr)
            with contextlib.redirect_stderr(sink):
                record = next(records, None)
            for warning in sink.warnings:
                yield ReadProblem(f"{label}#{idx}", f"bad record boundary: {warning}")
            if record is None:
                break
            item = _warc_record(record, label, idx, opts, stats)
            if item is not None:
                yield item
            idx += 1
    except Exception as e:  # warcio, gzip and zlib raise many kinds on broken files
        kind = "truncated" if isinstance(e, EOFError | _TruncatedGzip) else "corrupt or truncated"
        if isinstance(e, AttributeError | TypeError | KeyError | IndexError):
            reason = "unreadable record header"  # warcio trips over headers cut short
        else:
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        try:  # the reading position runs ahead of the failure by up to a buffer (~16 KB)
            near = f" near byte {f.tell():,} of the file"
        except (OSError, ValueError):
            near = ""
        yield ReadProblem(
            f"{label}#{idx}",
            f"{kind} WARC: stopped at record {idx}{near}, {idx} record(s) read before it "
            f"({reason[:200]})",
        )


# -- Parquet -------------------------------------------------------------------------------


def _parquet_file(path: Path, label: str, opts: ReadOptions) -> Iterator[Document | ReadProblem]:
    missing = _crawl_missing("pyarrow.parquet", "Parquet")
    if missing:
        yield ReadProblem(label, missing)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    row = 0
    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
        names: list[str] = list(schema.names)
        if opts.text_field not in names:
            yield ReadProblem(
                label,
                f"no column {opts.text_field!r} (pass --text-field); "
                f"columns: {', '.join(names) or 'none'}",
            )
            return
        ttype = schema.field(opts.text_field).type
        kinds = ("is_string", "is_large_string", "is_string_view", "is_binary", "is_large_binary")
        if not any(getattr(pa.types, k, lambda _t: False)(ttype) for k in kinds):
            yield ReadProblem(label, f"column {opts.text_field!r} holds {ttype}, not text")
            return
        wanted = [opts.text_field, opts.id_field, "title", "url", "date"]
        columns = [c for c in dict.fromkeys(wanted) if c in names]
        for batch in pf.iter_batches(batch_size=_PARQUET_BATCH, columns=columns):
            cols = {c: batch.column(c).to_pylist() for c in columns}
            for i in range(batch.num_rows):
                yield _parquet_row(cols, i, f"{label}#row{row}", opts)
                row += 1
    except (pa.ArrowException, OSError, ValueError, EOFError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        where = "" if row == 0 else f": stopped at row {row}"
        yield ReadProblem(label, f"corrupt or unreadable Parquet{where} ({reason[:200]})")


def _parquet_row(
    cols: dict[str, list[Any]], i: int, where: str, opts: ReadOptions
) -> Document | ReadProblem:
    text = cols[opts.text_field][i]
    if text is None:
        return ReadProblem(where, f"no text (null {opts.text_field!r})")
    if isinstance(text, bytes):
        try:
            text = _decode(text, opts.encoding)
        except ValueError as e:
            return ReadProblem(where, str(e))
    size = len(text) if len(text) * 4 <= opts.max_bytes else len(text.encode("utf-8"))
    if size > opts.max_bytes:
        return ReadProblem(where, _too_large(size, opts))
    problem = text_problem(text)
    if problem:
        return ReadProblem(where, problem)
    raw_id = cols[opts.id_field][i] if opts.id_field in cols else None
    values = {k: cols[k][i] for k in ("title", "url", "date") if k in cols and k != opts.id_field}
    return Document(
        id=str(raw_id) if raw_id not in (None, "") else where,
        text=text,
        title=_str_or_none(values.get("title")),
        url=_str_or_none(values.get("url")),
        date=_date_str(values.get("date")),
        origin=where,
    )


def _date_str(v: object) -> str | None:
    iso = getattr(v, "isoformat", None)
    if callable(iso):
        return str(iso())
    return _str_or_none(v)


# -- JSONL ---------------------------------------------------------------------------------


def _jsonl_records(
    stream: Iterable[bytes], origin: str, opts: ReadOptions, first_line: int = 1
) -> Iterator[Document | ReadProblem]:
    for lineno, raw in enumerate(stream, start=first_line):
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
        fields = {k: _str_or_none(meta.pop(k, None)) for k in ("title", "url", "date")}
        for name, value in (("id", doc_id), *fields.items()):
            problem = surrogate_problem(value, name) if value is not None else None
            if problem:
                yield ReadProblem(where, problem)
                break
        else:
            yield Document(id=doc_id, text=text, origin=where, meta=meta, **fields)


@dataclass(frozen=True)
class JsonlPart:
    """Bytes ``[start, end)`` of a JSONL file, cut at line starts, so that parts can be
    read in parallel with the same records as one reader: the part's first line is line
    ``line`` of the file, after ``records`` non-blank lines (each of which the reader
    turns into one document or one problem)."""

    start: int
    end: int
    line: int
    records: int


def jsonl_parts(path: str, size: int) -> list[JsonlPart]:
    """An uncompressed JSONL file cut into parts of about ``size`` bytes (at least one
    line each), in one pass over its lines."""
    parts: list[JsonlPart] = []
    pos = records = 0
    line = 1
    part = JsonlPart(0, 0, 1, 0)
    with open(path, "rb") as f:
        for raw in f:
            pos += len(raw)
            line += 1
            records += bool(raw.strip())
            if pos - part.start >= size:
                parts.append(JsonlPart(part.start, pos, part.line, part.records))
                part = JsonlPart(pos, pos, line, records)
    if pos > part.start or not parts:
        parts.append(JsonlPart(part.start, pos, part.line, part.records))
    return parts


def split_jsonl(item: str, size: int, opts: ReadOptions | None = None) -> list[JsonlPart] | None:
    """:func:`jsonl_parts` of ``item`` when :func:`read_inputs` would read it as an
    uncompressed JSONL file larger than ``size`` bytes; None when it is to be read whole
    (another format, compressed, a directory, stdin, small or unreadable: the reader
    reports what is wrong)."""
    path = Path(item)
    if item == "-" or file_format(item, opts or ReadOptions()) != "jsonl" or _gzipped(item):
        return None
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode) or st.st_size <= size:
            return None
        return jsonl_parts(item, size)
    except OSError:
        return None


def read_jsonl_part(
    path: str, part: JsonlPart, opts: ReadOptions | None = None, *, base: str = ""
) -> Iterator[Document | ReadProblem]:
    """The documents and problems of one :func:`jsonl_parts` part of ``path``: those
    that :func:`read_inputs` gives for its lines, with the same origins (``base``: as
    there)."""
    opts = opts or ReadOptions()

    def lines(f: IO[bytes]) -> Iterator[bytes]:
        f.seek(part.start)
        pos = part.start
        for raw in f:
            if pos >= part.end:
                return
            pos += len(raw)
            yield raw

    try:
        with open(os.path.join(base, path), "rb") as f:
            yield from _jsonl_records(lines(f), path, opts, part.line)
    except OSError as e:
        yield ReadProblem(path, f"cannot read: {e.strerror or e}")


@dataclass(frozen=True)
class ReadItem:
    """One reader's share of the inputs, for readers working in parallel: input number
    ``number`` (``path``) whole, or one part of it (a large uncompressed JSONL file).
    ``base``: the directory a relative ``path`` is read from, for readers whose working
    directory is not the planner's (Ray workers); empty, their own."""

    number: int
    path: str
    part: JsonlPart | None = None
    base: str = ""


def read_plan(
    inputs: Sequence[str], part_bytes: int, opts: ReadOptions | None = None
) -> list[ReadItem]:
    """The inputs as :class:`ReadItem` s in input order: each whole, or in
    :func:`split_jsonl` parts of about ``part_bytes``."""
    items: list[ReadItem] = []
    for n, x in enumerate(inputs):
        parts = split_jsonl(x, part_bytes, opts)
        if parts:
            items.extend(ReadItem(n, x, p) for p in parts)
        else:
            items.append(ReadItem(n, x))
    return items


def read_item(
    item: ReadItem, opts: ReadOptions | None = None
) -> Iterator[tuple[int, Document | ReadProblem]]:
    """What :func:`read_inputs` gives for the item's share of its input, each with its
    position in that input (the items of an input number it without gaps or overlap)."""
    if item.part is None:
        return enumerate(read_inputs([item.path], opts, base=item.base))
    part = read_jsonl_part(item.path, item.part, opts, base=item.base)
    return enumerate(part, start=item.part.records)


def _str_or_none(v: object) -> str | None:
    return None if v is None else str(v)


# -- dispatch ------------------------------------------------------------------------------


def file_format(label: str, opts: ReadOptions) -> Format:
    """The format :func:`read_inputs` reads file ``label`` as."""
    return detect_format(label) if opts.format == "auto" else opts.format


def _gzipped(label: str) -> bool:
    return label.lower().endswith(".gz")


def _read_file(
    path: Path, label: str, opts: ReadOptions, stats: ReadStats | None
) -> Iterator[Document | ReadProblem]:
    fmt = file_format(label, opts)
    try:
        if fmt == "jsonl":
            opener = gzip.open if _gzipped(label) else open
            with opener(path, "rb") as f:
                yield from _jsonl_records(f, label, opts)
            return
        if fmt == "warc":
            with open(path, "rb") as f:
                yield from _warc_stream(f, label, opts, stats)
            return
        if fmt == "parquet":
            yield from _parquet_file(path, label, opts)
            return
        size = path.stat().st_size
        if size > opts.max_bytes:
            yield ReadProblem(label, _too_large(size, opts))
            return
        data = path.read_bytes()
        if fmt == "html" or (opts.format == "auto" and looks_like_html(data)):
            yield _read_html(data, label, label, opts)
        else:
            yield _read_text(data, label, label, opts)
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        yield ReadProblem(label, f"cannot read: {getattr(e, 'strerror', None) or e}")


def _read_stdin(opts: ReadOptions, stats: ReadStats | None) -> Iterator[Document | ReadProblem]:
    stdin = sys.stdin.buffer
    if opts.format == "jsonl":
        yield from _jsonl_records(stdin, "-", opts)
    elif opts.format == "warc":
        yield from _warc_stream(stdin, "-", opts, stats)
    elif opts.format == "parquet":
        yield ReadProblem("-", "Parquet cannot be read from stdin; pass a file")
    else:
        data = stdin.read(opts.max_bytes + 1)
        if opts.format == "html" or (opts.format == "auto" and looks_like_html(data)):
            yield _read_html(data, "-", "stdin", opts)
        else:
            yield _read_text(data, "-", "stdin", opts)


def directory_files(path: Path) -> list[Path]:
    """The files a directory input holds, in the order :func:`read_inputs` reads them
    (sorted, recursively, hidden files left out)."""
    return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))


def read_inputs(
    inputs: Iterable[str],
    opts: ReadOptions | None = None,
    stats: ReadStats | None = None,
    *,
    base: str = "",
) -> Iterator[Document | ReadProblem]:
    """Documents from each input: a file, a directory (recursively) or ``-`` for stdin.

    With format "auto" a file's format comes from its name (see :func:`detect_format`);
    a text file that starts like an HTML page is read as HTML. ``stats``, if given,
    counts what was passed over on purpose (e.g. WARC request records). ``base``: the
    directory relative inputs are read from, if not the working directory; origins name
    the inputs as given either way."""
    opts = opts or ReadOptions()
    for item in inputs:
        if item == "-":
            yield from _read_stdin(opts, stats)
            continue
        path = Path(base, item)
        if path.is_dir():
            files = directory_files(path)
            if not files:
                yield ReadProblem(item, "directory has no files")
            for p in files:
                # Named under the input as given, wherever it was read from.
                yield from _read_file(p, str(Path(item, p.relative_to(path))), opts, stats)
        elif path.exists():
            yield from _read_file(path, item, opts, stats)
        else:
            yield ReadProblem(item, "no such file or directory")
