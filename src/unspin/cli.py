"""Command line: a thin shell over the library.

Exit codes: 0 success; 1 some inputs could not be read (the rest was processed);
2 nothing could be done (bad archive, bad arguments); 130 interrupted.
"""

from __future__ import annotations

import dataclasses
import json
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from unspin import __version__
from unspin.archive import Archive
from unspin.document import Document
from unspin.errors import UnspinError
from unspin.readers import (
    DEFAULT_MAX_BYTES,
    FORMATS,
    Format,
    ReadOptions,
    ReadProblem,
    read_inputs,
)
from unspin.render import print_stats, print_trace
from unspin.trace import TRACE_THRESHOLD, trace
from unspin.writers import ResultWriter, open_writer

app = typer.Typer(
    help="Find spun copies of articles, trace them to their sources, show every change.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
index_app = typer.Typer(help="Build and inspect a reference archive.", no_args_is_help=True)
app.add_typer(index_app, name="index")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

Inputs = Annotated[list[str], typer.Argument(help="Files, directories, or - for stdin.")]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        help="Input format: auto (by extension), text, jsonl, html, warc or parquet.",
    ),
]
TextField = Annotated[str, typer.Option(help="JSONL field holding the text.")]
IdField = Annotated[str, typer.Option(help="JSONL field holding the document id.")]
Encoding = Annotated[str, typer.Option(help="Encoding of input files.")]
MaxBytes = Annotated[int, typer.Option(help="Largest document accepted, in bytes.")]


def _opts(fmt: str, text_field: str, id_field: str, encoding: str, max_bytes: int) -> ReadOptions:
    if fmt not in FORMATS:
        raise UnspinError(f"unknown --format {fmt!r}: use {', '.join(FORMATS)}")
    f: Format = fmt  # type: ignore[assignment]
    return ReadOptions(f, encoding, text_field, id_field, max_bytes)


class _Problems:
    """Collects unreadable inputs: reported at once, one line each, counted at the end.

    A run that read something exits 0 even if it skipped bad records (crawls always hold
    some); it exits 1 when nothing could be read, or with --strict when anything was
    skipped."""

    def __init__(self) -> None:
        self.count = 0
        self.docs = 0

    def filter(self, items: Iterator[Document | ReadProblem]) -> Iterator[Document]:
        for it in items:
            if isinstance(it, ReadProblem):
                self.count += 1
                err.print(f"[yellow]skipped[/] {it}", soft_wrap=True)
            else:
                self.docs += 1
                yield it

    def finish(self, strict: bool) -> None:
        if self.count:
            err.print(f"skipped {self.count:,} unreadable record(s) or file(s)")
        if self.count and (strict or self.docs == 0):
            raise typer.Exit(1)


Strict = Annotated[
    bool, typer.Option("--strict", help="Exit 1 if any input or record had to be skipped.")
]


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} docs"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


class _Sink:
    """Where reports go: a JSONL/Parquet writer (--out), JSON lines on stdout (--json), or
    the terminal rendering."""

    def __init__(
        self,
        stack: ExitStack,
        out_path: Path | None,
        as_json: bool,
        show: Callable[[Any], None],
    ) -> None:
        self.out_path = out_path
        self.as_json = as_json
        self.show = show
        self.writer: ResultWriter | None = (
            stack.enter_context(open_writer(out_path)) if out_path is not None else None
        )

    @property
    def batch(self) -> bool:
        return self.writer is not None or self.as_json

    def emit(self, report: Any) -> None:
        if self.writer is not None:
            self.writer.write(report.to_dict())
        elif self.as_json:
            sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            self.show(report)

    def finish(self) -> None:
        if self.writer is not None:
            err.print(f"wrote {self.writer.count:,} reports to {self.out_path}", soft_wrap=True)


@index_app.command("add")
def index_add(
    archive: Annotated[Path, typer.Argument(help="Archive file (created if missing).")],
    inputs: Inputs,
    fmt: FormatOpt = "auto",
    text_field: TextField = "text",
    id_field: IdField = "id",
    encoding: Encoding = "utf-8",
    max_bytes: MaxBytes = DEFAULT_MAX_BYTES,
    batch_size: Annotated[int, typer.Option(help="Documents per transaction.")] = 500,
    strict: Strict = False,
) -> None:
    """Add documents to ARCHIVE; a document whose id is already there is replaced."""
    opts = _opts(fmt, text_field, id_field, encoding, max_bytes)
    problems = _Problems()
    done = 0
    with Archive(archive, create=True) as arc, _progress() as progress:
        task = progress.add_task("indexing", total=None)

        def on_batch(n: int) -> None:
            nonlocal done
            done += n
            progress.update(task, advance=n)

        # The first Ctrl-C asks for a stop after the batch in hand; a second one aborts
        # (the open transaction rolls back either way).
        interrupted = False

        def on_sigint(signum: int, frame: object) -> None:
            nonlocal interrupted
            if interrupted:
                raise KeyboardInterrupt
            interrupted = True

        previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            res = arc.add(
                problems.filter(read_inputs(inputs, opts)),
                batch_size=max(1, batch_size),
                on_batch=on_batch,
                stop=lambda: interrupted,
            )
        except KeyboardInterrupt:
            interrupted = True
        finally:
            signal.signal(signal.SIGINT, previous)
        if interrupted:
            progress.stop()
            err.print(f"interrupted: {done:,} documents committed, the archive is intact")
            raise typer.Exit(130)
        total = len(arc)
    err.print(f"added {res.added:,}, replaced {res.replaced:,}; {total:,} documents in {archive}")
    problems.finish(strict)


@index_app.command("stats")
def index_stats(
    archive: Annotated[Path, typer.Argument(help="Archive file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show what ARCHIVE holds."""
    with Archive(archive) as arc:
        arc.check()
        stats = arc.stats()
    if as_json:
        print(json.dumps(asdict(stats)))
    else:
        print_stats(out, stats)


@app.command("trace")
def trace_cmd(
    inputs: Inputs,
    archive: Annotated[Path, typer.Option("--archive", "-a", help="Reference archive.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    threshold: Annotated[
        float, typer.Option(help="Minimum alignment score for a source.")
    ] = TRACE_THRESHOLD,
    fmt: FormatOpt = "auto",
    text_field: TextField = "text",
    id_field: IdField = "id",
    encoding: Encoding = "utf-8",
    max_bytes: MaxBytes = DEFAULT_MAX_BYTES,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write the reports to this file (.jsonl/.ndjson or .parquet/.pq)."
        ),
    ] = None,
    strict: Strict = False,
) -> None:
    """Trace each document to its sources in ARCHIVE and show every changed span."""
    opts = _opts(fmt, text_field, id_field, encoding, max_bytes)
    problems = _Problems()
    with ExitStack() as stack:
        sink = _Sink(stack, out_path, as_json, lambda r: print_trace(out, r))
        arc = stack.enter_context(Archive(archive))
        for doc in problems.filter(read_inputs(inputs, opts)):
            sink.emit(trace(doc, arc, threshold=threshold))
    sink.finish()
    problems.finish(strict)


@app.command("check")
def check_cmd(
    inputs: Inputs,
    archive: Annotated[
        Path | None, typer.Option("--archive", "-a", help="Also trace against this archive.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write reports to a .jsonl or .parquet file.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="Causal LM: a directory, a .gguf file or a Hugging Face id."),
    ] = None,
    threads: Annotated[int | None, typer.Option(help="CPU threads for the model.")] = None,
    batch_size: Annotated[int, typer.Option(help="Windows per model batch.")] = 32,
    dtype: Annotated[
        str,
        typer.Option(
            help="Compute type: auto (bfloat16 where the CPU has it, else float32), "
            "float32, bfloat16 or float16."
        ),
    ] = "auto",
    fmt: FormatOpt = "auto",
    text_field: TextField = "text",
    id_field: IdField = "id",
    encoding: Encoding = "utf-8",
    max_bytes: MaxBytes = DEFAULT_MAX_BYTES,
    strict: Strict = False,
) -> None:
    """Flag spun words in each document, suggest what they were, score the document."""
    from unspin.check import check, load_lexicon, load_scorer
    from unspin.render import print_check

    opts = _opts(fmt, text_field, id_field, encoding, max_bytes)
    problems = _Problems()
    with ExitStack() as stack:
        sink = _Sink(stack, out_path, as_json, lambda r: print_check(out, r))
        arc = stack.enter_context(Archive(archive)) if archive else None
        with err.status("loading the language model and lexicon"):
            scorer = load_scorer(model, threads, batch_size, dtype)
            lexicon = load_lexicon()
        progress = stack.enter_context(_progress()) if sink.batch else None
        task = progress.add_task("checking", total=None) if progress else None
        for doc in problems.filter(read_inputs(inputs, opts)):
            sink.emit(check(doc, archive=arc, scorer=scorer, lexicon=lexicon))
            if progress is not None and task is not None:
                progress.update(task, advance=1)
    sink.finish()
    problems.finish(strict)


@app.command("cluster")
def cluster_cmd(
    inputs: Inputs,
    out_path: Annotated[
        Path,
        typer.Option("--out", "-o", help="Clusters to this file (.jsonl/.ndjson, .parquet/.pq)."),
    ],
    sites_path: Annotated[
        Path | None,
        typer.Option("--sites", help="Per-site statistics to this file (same formats)."),
    ] = None,
    archive: Annotated[
        Path | None, typer.Option("--archive", "-a", help="Trace each cluster's root to it.")
    ] = None,
    use_ray: Annotated[bool, typer.Option("--ray", help="Run as a Ray Data job.")] = False,
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="Ray cluster to join (implies --ray).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Processes or local Ray CPUs; 0: all cores.")] = 0,
    threshold: Annotated[
        float, typer.Option(help="Minimum alignment score for a copy.")
    ] = TRACE_THRESHOLD,
    min_jaccard: Annotated[
        float | None,
        typer.Option(help="Minimum estimated Jaccard (default 0.25; 0.375 with --no-verify)."),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify/--no-verify",
            help="Verify candidate pairs by alignment and list substitutions; --no-verify: "
            "triage, groups from LSH candidates alone (much faster, no substitutions).",
        ),
    ] = True,
    max_bucket: Annotated[int, typer.Option(help="Skip LSH buckets larger than this.")] = 200,
    fmt: FormatOpt = "auto",
    text_field: TextField = "text",
    id_field: IdField = "id",
    encoding: Encoding = "utf-8",
    max_bytes: MaxBytes = DEFAULT_MAX_BYTES,
    strict: Strict = False,
) -> None:
    """Group spun variants of one text across a crawl, name each group's root, and
    summarise who copies whom per site."""
    from unspin.cluster import ClusterOptions, cluster_inputs, print_summary, write_result

    opts = _opts(fmt, text_field, id_field, encoding, max_bytes)
    for p in (out_path, sites_path):
        if p is not None:
            open_writer(p).abort()  # a bad name or directory fails now, not after the run
    if archive is not None:
        Archive(archive).close()
    copts = ClusterOptions(
        threshold=threshold,
        min_jaccard=min_jaccard,
        max_bucket=max(2, max_bucket),
        archive=str(archive) if archive else None,
        workers=workers or None,
        verify=verify,
    )
    if use_ray or ray_address:
        from unspin.cluster.ray_job import check_ray

        check_ray(inputs)
    problems = _Problems()

    def on_skip(s: object) -> None:
        problems.count += 1
        err.print(f"[yellow]skipped[/] {s}", soft_wrap=True)

    with _progress() as progress:
        tasks = {
            "sketch": progress.add_task("sketching", total=None),
            "verify": progress.add_task("verifying" if verify else "grouping", total=None),
        }

        def advance(stage: str, n: int) -> None:
            progress.update(tasks[stage], advance=n)

        if use_ray or ray_address:
            from unspin.cluster.ray_job import cluster_inputs_ray

            result = cluster_inputs_ray(
                inputs, opts, copts, address=ray_address, progress=advance,
                progress_bars=err.is_terminal, on_skip=on_skip,
            )  # fmt: skip
        else:
            result = cluster_inputs(inputs, opts, copts, progress=advance, on_skip=on_skip)
    with result:
        write_result(result, str(out_path), str(sites_path) if sites_path else None)
        print_summary(err, result)
    err.print(f"wrote {result.n_clusters:,} clusters to {out_path}", soft_wrap=True)
    problems.docs = result.documents
    problems.finish(strict)


@app.command("demo")
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    with_check: Annotated[
        bool,
        typer.Option(
            "--check/--no-check",
            help="Also check the spun example without its source (loads the language model).",
        ),
    ] = True,
) -> None:
    """Trace a spun example article (and an independent report) against a small example
    archive shipped with unspin; then check the spun one with no archive at all."""
    examples = resources.files("unspin") / "examples"
    with tempfile.TemporaryDirectory() as tmp:
        arc_path = Path(tmp) / "demo.db"
        originals = str(examples / "originals.jsonl")
        problems = _Problems()
        with Archive(arc_path, create=True) as arc:
            res = arc.add(problems.filter(read_inputs([originals])))
            if not as_json:
                err.print(f"example archive: {res.added} original articles")
            for name in ("spun.txt", "independent.txt"):
                doc = Document(id=name, text=(examples / name).read_text(encoding="utf-8"))
                report = trace(doc, arc)
                if as_json:
                    print(json.dumps(report.to_dict(), ensure_ascii=False))
                else:
                    print_trace(out, report)
    if with_check:
        _demo_check(examples / "spun.txt", as_json)


def _demo_check(path: Any, as_json: bool) -> None:
    """The no-source path of the demo: `unspin check` on the spun example."""
    from unspin.check import check, load_lexicon, load_scorer
    from unspin.render import print_check

    try:
        with err.status("loading the language model and lexicon (the first time takes ~30 s)"):
            scorer, lexicon = load_scorer(), load_lexicon()
    except UnspinError as e:  # the check extra or the default model is not installed
        err.print(f"[dim]check skipped: {e}[/]")
        return
    doc = Document(id="spun.txt", text=path.read_text(encoding="utf-8"))
    report = check(doc, scorer=scorer, lexicon=lexicon)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        err.print("the same spun text checked with no source at all:")
        print_check(out, report)


@app.command("serve")
def serve(
    archive: Annotated[
        Path | None, typer.Option("--archive", "-a", help="Reference archive (created if missing).")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Threads running traces; 0: one per core, up to 4.")
    ] = 0,
    queue: Annotated[int, typer.Option(help="Requests waiting beyond those; then 429.")] = 64,
    timeout: Annotated[float, typer.Option(help="Seconds per request; then 503.")] = 30.0,
    max_body_bytes: Annotated[int, typer.Option(help="Largest request body; then 413.")] = (
        2 * 1024 * 1024
    ),
    read_only: Annotated[bool, typer.Option(help="Refuse adding documents over HTTP.")] = False,
    check: Annotated[
        bool, typer.Option(help="Serve POST /check (loads the language model at start).")
    ] = True,
    model: Annotated[
        str | None, typer.Option(help="Language model for /check (as for `unspin check`).")
    ] = None,
    model_threads: Annotated[int | None, typer.Option(help="CPU threads for the model.")] = None,
) -> None:
    """Serve the web page and the HTTP API (needs the serve extra)."""
    try:
        from unspin.server import ServerSettings, run
    except ImportError as e:
        raise UnspinError(f"serve needs the serve extra: pip install 'unspin[serve]' ({e})") from e
    settings = ServerSettings(
        archive, max_body_bytes, timeout, queue=queue, read_only=read_only, check=check,
        model=model, model_threads=model_threads,
    )  # fmt: skip
    if workers > 0:
        settings = dataclasses.replace(settings, workers=workers)
    run(settings, host=host, port=port)


def _version(value: bool) -> None:
    if value:
        print(f"unspin {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    pass


def main() -> None:
    try:
        app()
    except UnspinError as e:
        err.print(f"[red]error:[/] {e}", soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
