"""Terminal rendering of reports with rich: changed words highlighted, the source's
wording beside them."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from unspin.archive import ArchiveStats
from unspin.report import CheckReport, TraceReport


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def marked_text(report: TraceReport | CheckReport) -> Text:
    """The copy with each substitution shown as ``spun[original]`` and stray lines struck
    through with their reason."""
    marks: list[tuple[int, int, str, str]] = []
    for s in report.substitutions:
        note = s.original or "\u2205"
        if s.source_id is None and isinstance(report, CheckReport):
            note += f" {getattr(s, 'confidence', 0.0):.0%}?"  # a model guess
        marks.append((s.start, s.end, "sub", note))
    marks += [(x.start, x.end, "stray", x.reason) for x in report.stray]
    out = Text()
    last = 0
    text = report.text
    for start, end, kind, note in sorted(marks):
        if start < last:
            continue
        out.append(text[last:start])
        if kind == "sub":
            out.append(text[start:end], style="bold red")
            out.append(f"[{note}]", style="green")
        else:
            out.append(text[start:end], style="dim strike")
            out.append(f" [stray: {note}]", style="magenta")
        last = end
    out.append(text[last:])
    return out


def trace_renderable(report: TraceReport) -> Panel:
    if report.verdict == "copy":
        head = Text.assemble(
            ("COPY", "bold white on red"),
            f"  {report.id}  ",
            (f"{len(report.substitutions)} changed spans", "yellow"),
        )
    elif report.verdict == "not-english":
        head = Text.assemble(
            ("NOT ENGLISH", "bold white on blue"), f"  {report.id}  language: {report.language}"
        )
    else:
        head = Text.assemble(("NO SOURCE", "bold white on green"), f"  {report.id}")
    parts: list[Text | Table] = [head]
    if report.sources:
        table = Table(box=None, pad_edge=False, show_edge=False)
        for col in ("source", "score", "coverage", "reused", "title"):
            table.add_column(
                col, justify="right" if col in ("score", "coverage", "reused") else "left"
            )
        for s in report.sources:
            table.add_row(s.id, f"{s.score:.2f}", _pct(s.coverage), _pct(s.reused), s.title or "")
        parts.append(table)
    if report.sources or report.stray:
        parts.append(Text("copy with the source's wording in [green]:", style="dim"))
        parts.append(marked_text(report))
    if report.evasions:
        ev = ", ".join(f"{k}: {v}" for k, v in report.evasions.items())
        parts.append(Text(f"evasion characters folded: {ev}", style="magenta"))
    return Panel(Group(*parts), title="unspin trace", title_align="left")


def print_trace(console: Console, report: TraceReport) -> None:
    console.print(trace_renderable(report))


def print_stats(console: Console, stats: ArchiveStats) -> None:
    table = Table(title=f"archive {stats.path}", show_header=False, box=None)
    table.add_row("documents", f"{stats.documents:,}")
    table.add_row("sentences", f"{stats.sentences:,}")
    table.add_row("size on disk", f"{stats.size_bytes / 1024 / 1024:.1f} MB")
    p = stats.params
    table.add_row(
        "signature",
        f"MinHash {p.num_perm} perms, LSH {p.bands}x{p.rows}, {p.ngram}-grams of immutables",
    )
    console.print(table)


def print_check(console: Console, report: CheckReport) -> None:
    if report.verdict == "spun":
        head = Text.assemble(("SPUN", "bold white on red"), f"  {report.id}  ")
    elif report.verdict == "clean":
        head = Text.assemble(("CLEAN", "bold white on green"), f"  {report.id}  ")
    else:
        head = Text.assemble(("NOT ENGLISH", "bold white on blue"), f"  {report.id}  ")
    head.append(f"spin score {report.spin_score:.2f}", style="yellow")
    if report.language != "en":
        head.append(f"  language: {report.language}")
    parts: list[Text | Table] = [head]
    if report.sources:
        parts.append(Text("sources: " + ", ".join(s.id for s in report.sources), style="cyan"))
    if report.substitutions or report.stray:
        parts.append(Text("suggested originals in [green] (a % marks a model guess):", style="dim"))
        parts.append(marked_text(report))
    console.print(Panel(Group(*parts), title="unspin check", title_align="left"))
