"""HTTP service behind ``unspin serve``: the web page and a JSON API with an OpenAPI schema.

A thin shell over the library: every answer comes from :func:`unspin.trace`,
:func:`unspin.check.check`, :class:`unspin.Archive` and :func:`unspin.read_inputs`;
``POST /trace`` returns what ``unspin trace --json`` prints, ``POST /check`` what
``unspin check --json`` prints.

How it stays up under load and bad input:

* Library calls run in a pool of ``workers`` threads, each with its own read connection to
  the archive (SQLite connections stay in the thread that opened them). The archive is in
  WAL mode, so these readers keep reading while documents are added.
* Documents are added by one writer thread that owns the only write connection, so
  writes are serialised without sharing a connection across threads.
* The language model for ``/check`` is loaded once, in the background at start-up, and
  runs in one thread of its own (a check takes seconds): one check at a time, a few
  waiting, the rest refused with 429; traces are not held up by it.
* At most ``workers + queue`` traces are admitted at once; the next one is refused at
  once with 429 and ``Retry-After``. A call that has not finished after ``timeout``
  seconds is answered with 503; its thread finishes the work and only then frees its slot,
  so timed-out work never piles up beyond the bound.
* Request bodies are capped at ``max_body_bytes`` (413), whether or not the client sends
  ``Content-Length``.
* Every error is JSON: ``{"error": {"code": "...", "message": "..."}}``.

Needs the ``serve`` extra (FastAPI, uvicorn, python-multipart).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unspin import __version__
from unspin.archive import Archive
from unspin.document import Document
from unspin.errors import UnspinError
from unspin.readers import (
    ReadOptions,
    ReadProblem,
    header_charset,
    read_inputs,
    surrogate_problem,
    text_problem,
)
from unspin.trace import trace

log = logging.getLogger("unspin.server")
T = TypeVar("T")

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
DEFAULT_QUEUE = 64
DEFAULT_CHECK_TIMEOUT = 300.0
MAX_DOCUMENTS_PER_REQUEST = 1000
CHECK_UNAVAILABLE = "intrinsic check not available in this build"
CHECK_DISABLED = "intrinsic check turned off on this server (serve without --no-check)"


def _default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class ServerSettings:
    archive: Path | None = None  # None: tracing answers 409 (no archive configured)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    timeout: float = DEFAULT_TIMEOUT  # seconds per request, queueing included
    workers: int = field(default_factory=_default_workers)  # threads running library calls
    queue: int = DEFAULT_QUEUE  # calls admitted beyond `workers`; more get 429
    read_only: bool = False  # refuse POST /archive/documents (403)
    # POST /check: the language model runs in one thread of its own, loaded once at start.
    check: bool = True  # serve it when this build has it
    model: str | None = None  # a directory, .gguf file or hub id; None: the packaged one
    model_threads: int | None = None  # CPU threads for the model (default: all cores)
    batch_size: int = 32
    check_timeout: float = DEFAULT_CHECK_TIMEOUT
    check_queue: int = 4  # checks waiting beyond the one running; more get 429


# -- errors --------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message"}}`` with ``status``."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


_STATUS_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "busy",
    500: "internal_error",
    503: "unavailable",
}


def _validation_message(errors: Any, prefix: str = "") -> str:
    """One line from pydantic's error list: ``text: Field required; id: ...``."""
    parts = []
    for e in list(errors)[:5]:
        loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body",))
        where = f"{prefix}{loc}" if loc else (prefix.rstrip(".") or "body")
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


# -- body size limit -----------------------------------------------------------------------


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` with 413, by ``Content-Length``
    when sent and by counting the bytes received otherwise."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> JSONResponse:
        return error_response(
            413, "body_too_large", f"request body is larger than {self.max_bytes:,} bytes"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    n = int(value)
                except ValueError:
                    n = -1
                if n < 0:
                    await error_response(400, "bad_request", "invalid Content-Length")(
                        scope, receive, send
                    )
                    return
                if n > self.max_bytes:
                    await self._too_large()(scope, receive, send)
                    return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._too_large()(scope, receive, send)


# -- worker pool ---------------------------------------------------------------------------


class _Slots:
    """A counter of admitted calls, safe across threads."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        with self._lock:
            if self.used >= self.capacity:
                return False
            self.used += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.used -= 1


@dataclass
class _Pool:
    name: str
    threads: int
    slots: _Slots
    timeout: float
    executor: ThreadPoolExecutor | None = None

    def start(self) -> None:
        self.executor = ThreadPoolExecutor(self.threads, thread_name_prefix=f"unspin-{self.name}")

    def stop(self, wait: bool = True) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=wait, cancel_futures=True)


class Runtime:
    """Threads that run library calls, the archive connections they own, the language
    model, and the bounds. Three pools: ``read`` (traces; ``workers`` threads), ``write``
    (one thread owning the only write connection) and ``model`` (one thread for /check)."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        workers = max(1, settings.workers)
        queue = max(0, settings.queue)
        self.pools = {
            "read": _Pool("read", workers, _Slots(workers + queue), settings.timeout),
            "write": _Pool("write", 1, _Slots(1 + min(4, queue)), settings.timeout),
            "model": _Pool(
                "model", 1, _Slots(1 + max(0, settings.check_queue)), settings.check_timeout
            ),
        }
        self.check_fn = _find_check() if settings.check else None
        self.model_state = "loading" if self.check_fn is not None else "off"
        self._models: tuple[Any, Any] | None = None
        self._model_error: ApiError | None = None
        self._writer: Archive | None = None
        self.closed = True
        self.start()

    def start(self) -> None:
        """Start the threads (again, after :meth:`close`: an ASGI server may run the app's
        lifespan more than once). Creates the archive when missing, before any reader
        opens it; raises ArchiveError for a file that is not a valid archive."""
        self._local = threading.local()
        for pool in self.pools.values():
            pool.start()
        self.closed = False
        if self.settings.archive is not None:
            self.submit("write", self._open_writer).result()

    def submit(self, pool: str, fn: Callable[..., T], *args: Any) -> Future[T]:
        executor = self.pools[pool].executor
        assert executor is not None
        return executor.submit(fn, *args)

    # Called in the writer thread only.
    def _open_writer(self) -> None:
        assert self.settings.archive is not None
        self._writer = Archive(self.settings.archive, create=True)

    def writer(self) -> Archive:
        if self._writer is None:
            raise ApiError(409, "no_archive", "no archive configured: serve with --archive")
        return self._writer

    def reader(self) -> Archive:
        """This worker thread's read connection, opened on first use."""
        arc: Archive | None = getattr(self._local, "archive", None)
        if arc is None:
            if self.settings.archive is None:
                raise ApiError(409, "no_archive", "no archive configured: serve with --archive")
            arc = Archive(self.settings.archive)
            self._local.archive = arc
        return arc

    def busy(self, pool: str = "read") -> int:
        return self.pools[pool].slots.used

    async def run(self, fn: Callable[..., T], *args: Any, pool: str = "read") -> T:
        """``fn(*args)`` in a thread of ``pool``, within its bounds: 429 when it is full,
        503 when the call takes longer than the pool's timeout, 500 when it raises."""
        p = self.pools[pool]
        if not p.slots.acquire():
            raise ApiError(
                429,
                "busy",
                "the server is busy: too many requests in progress; retry shortly",
                {"Retry-After": "1" if pool != "model" else "10"},
            )
        try:
            cfut = self.submit(pool, fn, *args)
        except RuntimeError:  # shutting down
            p.slots.release()
            raise ApiError(503, "unavailable", "the server is shutting down") from None
        # The slot is freed when the work really ends, not when the client stops waiting.
        cfut.add_done_callback(lambda _f: p.slots.release())
        try:
            return await asyncio.wait_for(asyncio.wrap_future(cfut), p.timeout)
        except TimeoutError:
            cfut.cancel()  # still queued: it never runs
            raise ApiError(
                503,
                "timeout",
                f"the request took longer than {p.timeout:g} s; retry later or send a shorter text",
                {"Retry-After": "5"},
            ) from None
        except ApiError:
            raise
        except Exception as e:  # a bug in a library call: answered, logged, not fatal
            log.exception("error in %s", getattr(fn, "__name__", "call"), exc_info=e)
            raise ApiError(500, "internal_error", f"internal error ({type(e).__name__})") from e

    def warm_up(self) -> None:
        """Load what the first trace would (tokeniser, language identifier, tables)."""
        if self.settings.archive is not None:
            trace("Warm-up: the server starts and loads its models once.", self.reader())

    # -- the language model (called in the model thread only) --

    def load_models(self) -> None:
        """Load the scorer and the lexicon once; remember why if they cannot be."""
        if self._models is not None or self._model_error is not None:
            return
        try:
            self._models = _load_check_models(self.settings)
            self.model_state = "ready"
        except UnspinError as e:  # e.g. the check extra is not installed
            self._model_error = ApiError(501, "not_implemented", f"{CHECK_UNAVAILABLE}: {e}")
            self.model_state = "failed"
        except Exception as e:
            log.exception("loading the language model failed", exc_info=e)
            self._model_error = ApiError(
                503,
                "model_unavailable",
                f"the language model could not be loaded ({type(e).__name__}: {e})",
            )
            self.model_state = "failed"

    def run_check(self, doc: Document) -> dict[str, Any]:
        assert self.check_fn is not None
        self.load_models()
        if self._model_error is not None:
            raise self._model_error
        assert self._models is not None
        scorer, lexicon = self._models
        archive = self.reader() if self.settings.archive is not None else None
        report = self.check_fn(doc, archive=archive, scorer=scorer, lexicon=lexicon)
        out: dict[str, Any] = report.to_dict()
        return out

    def start_loading_models(self) -> None:
        if self.check_fn is not None:
            self.submit("model", self.load_models)

    def close(self) -> None:
        """Stop the threads (after their current call) and close the write connection.
        Read connections close with their threads."""
        self.closed = True
        self.pools["read"].stop()
        self.pools["model"].stop(wait=False)  # a long check finishes on its own
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(RuntimeError):  # already shut down
                self.submit("write", writer.close).result()
        self.pools["write"].stop()


def _find_check() -> Callable[..., Any] | None:
    """The intrinsic check (``unspin.check.check``) when this build has it."""
    if importlib.util.find_spec("unspin.check") is None:
        return None
    fn = getattr(importlib.import_module("unspin.check"), "check", None)
    return fn if callable(fn) else None


def _load_check_models(settings: ServerSettings) -> tuple[Any, Any]:
    """(scorer, lexicon) for /check, as ``unspin check`` loads them."""
    from unspin.check import load_lexicon, load_scorer

    return load_scorer(settings.model, settings.model_threads, settings.batch_size), load_lexicon()


def _html_supported() -> bool:
    return importlib.util.find_spec("trafilatura") is not None


# -- the work, run in worker threads --------------------------------------------------------


def _trace_json(rt: Runtime, doc: Document, view: bool) -> dict[str, Any]:
    arc = rt.reader()
    report = trace(doc, arc)
    out = report.to_dict(view=view)
    if view:
        sources: dict[str, dict[str, Any]] = {}
        for s in report.sources:
            try:
                stored = arc.get(s.id)
            except KeyError:  # replaced or removed meanwhile
                continue
            sources[s.id] = {"text": stored.text, "title": stored.title, "url": stored.url}
        out["view"]["sources"] = sources
        out["view"]["document"] = {
            "id": doc.id,
            "title": doc.title,
            "url": doc.url,
            "date": doc.date,
        }
    return out


def _read_html(data: bytes, name: str, max_bytes: int) -> Document | ReadProblem:
    """The article in an uploaded page, read as ``unspin trace page.html`` would."""
    with tempfile.TemporaryDirectory(prefix="unspin-upload-") as tmp:
        path = Path(tmp) / "page.html"
        path.write_bytes(data)
        opts = ReadOptions(format="html", max_bytes=max_bytes)
        items = list(read_inputs([str(path)], opts))
    if not items:
        return ReadProblem(name, "no article text found in HTML")
    item = items[0]
    if isinstance(item, ReadProblem):
        return ReadProblem(name, item.message)
    if item.id == str(path):  # no URL in the page: name it after the upload
        item = Document(
            id=name, text=item.text, title=item.title, url=item.url, date=item.date, meta=item.meta
        )
    return item


def _add_documents(rt: Runtime, docs: list[Document]) -> dict[str, int]:
    arc = rt.writer()
    res = arc.add(docs, workers=1)  # no forked workers inside a threaded server
    return {"added": res.added, "replaced": res.replaced, "documents": len(arc)}


def _archive_stats(rt: Runtime) -> dict[str, Any]:
    st = rt.reader().stats()
    return {
        "documents": st.documents,
        "sentences": st.sentences,
        "size_bytes": st.size_bytes,
        "params": asdict(st.params),
    }


# -- request bodies ------------------------------------------------------------------------


class TextRequest(BaseModel):
    """A text to trace or check."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="The article text (UTF-8, not empty).")
    id: str | None = Field(default=None, description='Document id in the report ("text").')
    title: str | None = Field(
        default=None, description="The page's own headline, if known (helps spot glued ones)."
    )
    url: str | None = Field(default=None, description="Where the text was found.")


class DocumentIn(BaseModel):
    """A source document for the archive."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, description="Unique id; an existing id is replaced.")
    text: str
    title: str | None = None
    url: str | None = None
    date: str | None = None


_DOCUMENTS = TypeAdapter(list[DocumentIn])


def _check_unicode(text: str, where: str) -> None:
    problem = surrogate_problem(text, where)
    if problem:
        raise ApiError(422, "invalid_text", problem)


def _check_text(text: str, where: str = "text") -> None:
    problem = text_problem(text, where)
    if problem:
        if "unpaired surrogate" in problem:
            raise ApiError(422, "invalid_text", problem)
        code = "empty_text" if problem.startswith("empty") else "no_words"
        message = f"{where} is empty" if code == "empty_text" else f"{where} has no words"
        raise ApiError(422, code, message)


def _mime(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _json_body(request: Request) -> Any:
    """The request's JSON body: 415 unless it is JSON in UTF-8, 400 when it does not
    decode or parse."""
    ctype = request.headers.get("content-type", "")
    mime = _mime(request)
    if mime != "application/json" and not (mime.startswith("application/") and "+json" in mime):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send the body as Content-Type: application/json (got {mime or 'none'})",
        )
    charset = header_charset(ctype)
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ApiError(415, "unsupported_media_type", f"send JSON in UTF-8 (got charset={charset})")
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ApiError(
            400, "invalid_utf8", f"the body is not valid UTF-8 (bad byte at offset {e.start})"
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ApiError(400, "empty_body", "the request body is empty: send a JSON object")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ApiError(
            400, "invalid_json", f"malformed JSON: {e.msg} (line {e.lineno}, column {e.colno})"
        ) from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "malformed JSON: nested too deeply") from None
    except ValueError as e:  # e.g. an integer literal of more than 4,300 digits
        raise ApiError(400, "invalid_json", f"malformed JSON: {e}") from None


async def _text_request(request: Request) -> Document:
    data = await _json_body(request)
    try:
        req = TextRequest.model_validate(data)
    except ValidationError as e:
        raise ApiError(422, "invalid_request", _validation_message(e.errors())) from None
    _check_text(req.text)
    for name in ("id", "title", "url"):
        value = getattr(req, name)
        if value is not None:
            _check_unicode(value, name)
    return Document(id=req.id or "text", text=req.text, title=req.title, url=req.url)


_MARKUP = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|article|main|section|div|p|h[1-6]|title|meta)[\s>/]",
    re.IGNORECASE,
)


def _looks_like_html(data: bytes) -> bool:
    """An HTML page or fragment: no NUL bytes and an HTML tag near the start."""
    head = data[:8192]
    return b"\x00" not in head and _MARKUP.search(head) is not None


# -- OpenAPI descriptions of what the handlers read themselves -----------------------------


def _json_request_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        s: {
            "description": _STATUS_CODES.get(s, "error").replace("_", " "),
            "content": {"application/json": {"schema": _ERROR_SCHEMA}},
        }
        for s in statuses
    }


_REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "What `unspin trace --json` prints for the document; with view=true, "
    "also `view` (the text, aligned sentence pairs, the sources' texts).",
    "required": ["id", "verdict", "sources", "substitutions", "restored", "stray"],
    "properties": {
        "id": {"type": "string"},
        "verdict": {"type": "string", "enum": ["copy", "no-source", "not-english"]},
        "sources": {"type": "array", "items": {"type": "object"}},
        "substitutions": {"type": "array", "items": {"type": "object"}},
        "restored": {"type": "string"},
        "stray": {"type": "array", "items": {"type": "object"}},
        "language": {"type": "string"},
        "evasions": {"type": "object"},
        "view": {"type": "object"},
    },
}
_CHECK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "What `unspin check --json` prints for the document.",
    "required": ["id", "verdict", "spin_score", "sources", "substitutions", "restored"],
    "properties": {
        "id": {"type": "string"},
        "verdict": {"type": "string", "enum": ["spun", "clean", "not-english"]},
        "spin_score": {"type": "number"},
        "sources": {"type": "array", "items": {"type": "object"}},
        "substitutions": {
            "type": "array",
            "description": "start, end, text, original, source_id (null: the model's "
            "guess), confidence, alternatives",
            "items": {"type": "object"},
        },
        "restored": {"type": "string"},
        "stray": {"type": "array", "items": {"type": "object"}},
        "language": {"type": "string"},
        "evasions": {"type": "object"},
    },
}
_TRACE_ERRORS = (400, 409, 413, 415, 422, 429, 503)
_VIEW = Query(False, description="Add `view`: the text, aligned sentences, source texts.")


# -- the app -------------------------------------------------------------------------------


def _static(name: str) -> bytes:
    return (resources.files("unspin") / "web" / name).read_bytes()


_STATIC_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """The ASGI app. Opens (or creates) the archive at once: an unusable archive raises
    :class:`unspin.ArchiveError` here, before the server listens."""
    settings = settings or ServerSettings()
    rt = Runtime(settings)
    static = {name: _static(name) for name in _STATIC_TYPES}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        if rt.closed:
            rt.start()
        rt.start_loading_models()  # in the background: /trace answers meanwhile
        await asyncio.wrap_future(rt.submit("read", rt.warm_up))  # unbounded by timeouts
        yield
        rt.close()

    app = FastAPI(
        title="unspin",
        version=__version__,
        description=(
            "Find spun copies of news articles, trace them to their sources in an archive, "
            "show every substituted word and restore the original. Errors are "
            '`{"error": {"code", "message"}}`.'
        ),
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: the page must not
        redoc_url=None,
    )
    app.state.runtime = rt
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    # -- errors as JSON --

    @app.exception_handler(ApiError)
    async def _api_error(_r: Request, e: ApiError) -> JSONResponse:
        return error_response(e.status, e.code, e.message, e.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_r: Request, e: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(e.status_code, "error")
        return error_response(e.status_code, code, str(e.detail), dict(e.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_r: Request, e: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", _validation_message(e.errors()))

    @app.exception_handler(Exception)
    async def _crash(_r: Request, e: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=e)
        return error_response(500, "internal_error", f"internal error ({type(e).__name__})")

    # -- the page --

    def page(name: str) -> Response:
        return Response(static[name], media_type=_STATIC_TYPES[name], headers=_PAGE_HEADERS)

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        return page("index.html")

    @app.get("/static/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        if name not in static or name == "index.html":
            raise ApiError(404, "not_found", f"no such file: {name}")
        return page(name)

    # -- service --

    @app.get("/health", tags=["service"], responses=_errors(500))
    async def health() -> dict[str, Any]:
        """Liveness and load, without touching the archive."""
        return {
            "status": "ok",
            "archive": settings.archive is not None,
            "busy": rt.busy("read"),
            "capacity": rt.pools["read"].slots.capacity,
            "model": rt.model_state,  # off, loading, ready or failed
            "checks_busy": rt.busy("model"),
        }

    @app.get("/version", tags=["service"])
    async def version() -> dict[str, Any]:
        """Version and what this server can do."""
        return {
            "name": "unspin",
            "version": __version__,
            "features": {
                "trace": settings.archive is not None,
                "trace_html": settings.archive is not None and _html_supported(),
                "check": rt.check_fn is not None and rt.model_state != "failed",
                "archive_write": settings.archive is not None and not settings.read_only,
            },
        }

    # -- tracing --

    text_body = _json_request_body(
        TextRequest.model_json_schema(), "The text and, optionally, its id, title and URL."
    )

    @app.post(
        "/trace",
        tags=["trace"],
        openapi_extra=text_body,
        responses={
            200: {"content": {"application/json": {"schema": _REPORT_SCHEMA}}},
            **_errors(*_TRACE_ERRORS),
        },
    )
    async def trace_text(request: Request, view: bool = _VIEW) -> JSONResponse:
        """Trace a text to its sources in the archive: the JSON of `unspin trace --json`."""
        doc = await _text_request(request)
        return JSONResponse(await rt.run(_trace_json, rt, doc, view))

    @app.post(
        "/trace/html",
        tags=["trace"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {
                                    "type": "string",
                                    "format": "binary",
                                    "description": "A saved web page (.html).",
                                }
                            },
                        }
                    }
                },
            }
        },
        responses={
            200: {"content": {"application/json": {"schema": _REPORT_SCHEMA}}},
            **_errors(*_TRACE_ERRORS, 501),
        },
    )
    async def trace_html(request: Request, view: bool = _VIEW) -> JSONResponse:
        """Trace the article in an uploaded HTML page (multipart field `file`)."""
        if settings.archive is None:
            raise ApiError(409, "no_archive", "no archive configured: serve with --archive")
        if not _html_supported():
            raise ApiError(
                501, "not_implemented", "reading HTML needs the crawl extra: unspin[crawl]"
            )
        if _mime(request) != "multipart/form-data":
            raise ApiError(
                415,
                "unsupported_media_type",
                "upload the page as multipart/form-data with a field named 'file'",
            )
        try:
            form = await request.form(max_files=4, max_fields=16)
        except StarletteHTTPException as e:
            raise ApiError(400, "bad_multipart", f"malformed upload: {e.detail}") from None
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "missing_file", "no file in the upload: send it in field 'file'")
        data = await upload.read()
        name = upload.filename or "upload.html"
        if not data.strip():
            raise ApiError(422, "empty_file", f"the uploaded file {name!r} is empty")
        if not _looks_like_html(data):
            raise ApiError(
                415,
                "not_html",
                f"the uploaded file {name!r} is not an HTML page "
                f"(it starts with {data[:16]!r}); upload a saved .html page",
            )
        doc = await rt.run(_read_html, data, name, settings.max_body_bytes)
        if isinstance(doc, ReadProblem):
            raise ApiError(422, "no_article", f"{name}: {doc.message}")
        return JSONResponse(await rt.run(_trace_json, rt, doc, view))

    @app.post(
        "/check",
        tags=["check"],
        openapi_extra=text_body,
        responses={
            200: {"content": {"application/json": {"schema": _CHECK_SCHEMA}}},
            **_errors(400, 413, 415, 422, 429, 501, 503),
        },
    )
    async def check_text(request: Request) -> JSONResponse:
        """Flag spun words from the text alone with a language model, suggest the originals
        and score the text: the JSON of `unspin check --json`. With an archive, words a
        source proves come from the source. Slow (seconds per article on a CPU): one
        check runs at a time, a few wait, more get 429."""
        doc = await _text_request(request)
        if rt.check_fn is None:
            message = CHECK_UNAVAILABLE if settings.check else CHECK_DISABLED
            raise ApiError(501, "not_implemented", message)
        return JSONResponse(await rt.run(rt.run_check, doc, pool="model"))

    # -- the archive --

    @app.get("/archive", tags=["archive"], responses=_errors(409, 429, 503))
    async def archive_stats() -> JSONResponse:
        """What the archive holds."""
        return JSONResponse(await rt.run(_archive_stats, rt))

    docs_body = _json_request_body(
        {
            "type": "array",
            "maxItems": MAX_DOCUMENTS_PER_REQUEST,
            "items": DocumentIn.model_json_schema(),
        },
        "Documents to add; a document whose id is already stored is replaced.",
    )

    @app.post(
        "/archive/documents",
        tags=["archive"],
        openapi_extra=docs_body,
        responses={
            200: {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "added": {"type": "integer"},
                                "replaced": {"type": "integer"},
                                "documents": {"type": "integer"},
                            },
                        }
                    }
                }
            },
            **_errors(400, 403, 409, 413, 415, 422, 429, 503),
        },
    )
    async def add_documents(request: Request) -> JSONResponse:
        """Add documents (a JSON array of `{id, text, title?, url?, date?}`) in one
        transaction. Readers keep reading meanwhile. Adding is idempotent: a retry after a
        timeout replaces what an earlier attempt added."""
        if settings.archive is None:
            raise ApiError(409, "no_archive", "no archive configured: serve with --archive")
        if settings.read_only:
            raise ApiError(403, "read_only", "this server is read-only (--read-only)")
        data = await _json_body(request)
        if not isinstance(data, list):
            raise ApiError(422, "invalid_request", "send a JSON array of documents")
        if not data:
            raise ApiError(422, "invalid_request", "the array of documents is empty")
        if len(data) > MAX_DOCUMENTS_PER_REQUEST:
            raise ApiError(
                422,
                "too_many_documents",
                f"{len(data):,} documents in one request; send at most "
                f"{MAX_DOCUMENTS_PER_REQUEST:,}",
            )
        try:
            items = _DOCUMENTS.validate_python(data)
        except ValidationError as e:
            raise ApiError(
                422, "invalid_request", _validation_message(e.errors(), "documents.")
            ) from None
        docs = []
        for i, d in enumerate(items):
            _check_text(d.text, f"documents[{i}].text")
            _check_unicode(d.id, f"documents[{i}].id")
            if not d.id.strip():
                raise ApiError(422, "invalid_request", f"documents[{i}].id is blank")
            for name in ("title", "url", "date"):
                value = getattr(d, name)
                if value is not None:
                    _check_unicode(value, f"documents[{i}].{name}")
            docs.append(Document(id=d.id, text=d.text, title=d.title, url=d.url, date=d.date))
        return JSONResponse(await rt.run(_add_documents, rt, docs, pool="write"))

    return app


def run(settings: ServerSettings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted (``unspin serve``)."""
    import uvicorn

    app = create_app(settings)
    where = settings.archive if settings.archive is not None else "none (tracing disabled)"
    print(f"unspin {__version__}: http://{host}:{port}/  archive: {where}", flush=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        timeout_keep_alive=30,  # above clients' usual idle time: fewer reset connections
        timeout_graceful_shutdown=5,
    )


__all__ = [
    "CHECK_DISABLED",
    "CHECK_UNAVAILABLE",
    "ApiError",
    "BodyLimit",
    "Runtime",
    "ServerSettings",
    "create_app",
    "run",
]
