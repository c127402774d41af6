"""Command line: a thin shell over the library.

Exit codes: 0 success; 1 some inputs could not be read (the rest was processed);
2 nothing could be done (bad archive, bad arguments); 130 interrupted.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Annotated

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
    """Collects unreadable inputs: reported at once, one line each, counted at the end."""

    def __init__(self) -> None:
        self.count = 0

    def filter(self, items: Iterator[Document | ReadProblem]) -> Iterator[Document]:
        for it in items:
            if isinstance(it, ReadProblem):
                self.count += 1
                err.print(f"[yellow]skipped[/] {it}", soft_wrap=True)
            else:
                yield it


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

        try:
            res = arc.add(
                problems.filter(read_inputs(inputs, opts)),
                batch_size=max(1, batch_size),
                on_batch=on_batch,
            )
        except KeyboardInterrupt:
            progress.stop()
            err.print(f"interrupted: {done:,} documents committed, the archive is intact")
            raise typer.Exit(130) from None
        total = len(arc)
    msg = f"added {res.added:,}, replaced {res.replaced:,}"
    if problems.count:
        msg += f", skipped {problems.count:,}"
    err.print(f"{msg}; {total:,} documents in {archive}")
    if problems.count:
        raise typer.Exit(1)


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
) -> None:
    """Trace each document to its sources in ARCHIVE and show every changed span."""
    opts = _opts(fmt, text_field, id_field, encoding, max_bytes)
    problems = _Problems()
    with ExitStack() as stack:
        writer: ResultWriter | None = None
        if out_path is not None:
            writer = stack.enter_context(open_writer(out_path))
        arc = stack.enter_context(Archive(archive))
        for doc in problems.filter(read_inputs(inputs, opts)):
            report = trace(doc, arc, threshold=threshold)
            if writer is not None:
                writer.write(report.to_dict())
            elif as_json:
                sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
                sys.stdout.flush()
            else:
                print_trace(out, report)
    if writer is not None:
        err.print(f"wrote {writer.count:,} reports to {out_path}", soft_wrap=True)
    if problems.count:
        err.print(f"skipped {problems.count:,} unreadable input(s)")
        raise typer.Exit(1)


@app.command("demo")
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Trace a spun example article (and an independent report) against a small example
    archive shipped with unspin."""
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
