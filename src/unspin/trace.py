"""Trace a text to its sources: retrieve candidates, verify by alignment, explain.

A candidate becomes a source only when alignment shows that a large share of the copy's
words are the candidate's words in the candidate's order. Shared names, numbers and dates
alone (an independent report of the same event) do not get there.
"""

from __future__ import annotations

from dataclasses import dataclass

from unspin.align import Alignment, align
from unspin.archive import Archive
from unspin.clean import find_strays
from unspin.document import Document
from unspin.fingerprint import fingerprint
from unspin.language import detect_language
from unspin.native import compiled
from unspin.normalize import normalize
from unspin.report import Source, Stray, Substitution, TraceReport
from unspin.segment import PUNCT, Analysis, analyze

# Minimum Alignment.score for a candidate to count as a source. Chosen on data by
# `make bench-trace` (bench/trace_bench.py, calibration split: 0.449): halfway between the
# 99.5th percentile of no-source queries (held-back spun copies, same-event look-alikes)
# and the 0.5th percentile of correctly traced spun copies.
TRACE_THRESHOLD = 0.45
# How many retrieved candidates are verified by alignment.
VERIFY = 5


@dataclass(frozen=True)
class VerifiedSource:
    id: str
    title: str | None
    url: str | None
    analysis: Analysis
    alignment: Alignment


def substitutions_from(
    copy: Analysis, v: VerifiedSource, sentences: set[int]
) -> list[Substitution]:
    """Every changed span of ``copy`` inside the aligned copy ``sentences`` of ``v``."""
    return [Substitution(*s, v.id) for s in substitution_spans(copy, v, sentences)]


def substitution_spans(
    copy: Analysis, v: VerifiedSource, sentences: set[int] | None
) -> list[tuple[int, int, str, str]]:
    """:func:`substitutions_from` as ``(start, end, text, original)`` tuples (``sentences``
    None: every aligned sentence). In C when it was built and both texts are ASCII
    (clustering lists every substitution of every member of a crawl's clusters)."""
    if _spans_c is not None:
        got: list[tuple[int, int, str, str]] | None = _spans_c(
            v.alignment.pairs, sentences, copy, v.analysis
        )
        if got is not None:
            return got
    return _substitution_spans_py(copy, v, sentences)


_spans_c = compiled("_align", "spans")


def _substitution_spans_py(
    copy: Analysis, v: VerifiedSource, sentences: set[int] | None
) -> list[tuple[int, int, str, str]]:
    """:func:`substitution_spans` in Python: the reference for ``unspin._align.spans``,
    and the version for other texts."""
    # Trimming and Analysis.input_span written out: the calls cost more than the work.
    src = v.analysis
    c_kinds, s_kinds = copy.kinds, src.kinds
    c_starts, c_ends = copy.spans.starts, copy.spans.ends
    s_starts, s_ends = src.spans.starts, src.spans.ends
    c_ascii, s_ascii = copy.text.isascii(), src.text.isascii()
    out = []
    for pair in v.alignment.pairs:
        if sentences is not None and pair.copy_sentence not in sentences:
            continue
        for ch in pair.changes:
            ci, cj = ch.copy_start, ch.copy_end
            while ci < cj and c_kinds[ci] == PUNCT:
                ci += 1
            while cj > ci and c_kinds[cj - 1] == PUNCT:
                cj -= 1
            if ci == cj:
                continue  # only the source had words here: nothing to show in the copy
            start, end = c_starts[ci], c_ends[cj - 1]
            if not c_ascii:
                start, end = copy.norm.span_to_input(start, end)
            elif end <= start:
                end = start
            si, sj = ch.source_start, ch.source_end
            while si < sj and s_kinds[si] == PUNCT:
                si += 1
            while sj > si and s_kinds[sj - 1] == PUNCT:
                sj -= 1
            if si < sj:
                s0, s1 = s_starts[si], s_ends[sj - 1]
                if not s_ascii:
                    s0, s1 = src.norm.span_to_input(s0, s1)
                elif s1 <= s0:
                    s1 = s0
                original = src.text[s0:s1]
            else:
                original = ""
            out.append((start, end, copy.text[start:end], original))
    return out


def restore(text: str, substitutions: list[Substitution], stray: list[Stray] | None = None) -> str:
    """``text`` with substitutions undone (keeping the copy's capitalisation of each span)
    and stray lines removed."""
    edits: list[tuple[int, int, str]] = []
    for s in substitutions:
        original = s.original
        if original and s.text[:1].isupper() and original[:1].islower():
            original = original[0].upper() + original[1:]
        edits.append((s.start, s.end, original))
    for x in stray or []:
        # Take the line break after the stray line; at a paragraph start, take the blank
        # lines too so no empty paragraph is left behind.
        end = x.end
        at_para_start = x.start == 0 or text[: x.start].endswith("\n\n")
        while text[end : end + 1] == "\n":
            end += 1
            if not at_para_start:
                break
        edits.append((x.start, end, ""))
    parts = []
    last = 0
    for start, end, new in sorted(edits):
        if start < last:
            continue
        parts.append(text[last:start])
        if not new and parts[-1].endswith(" "):
            parts[-1] = parts[-1][:-1]  # drop the removed words and one space
        parts.append(new)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def trace_analysis(
    doc_id: str,
    analysis: Analysis,
    archive: Archive,
    *,
    threshold: float = TRACE_THRESHOLD,
    stray: list[Stray] | None = None,
) -> TraceReport:
    """Trace an analysed text; ``stray`` lines (input offsets) are left out."""
    stray = stray or []
    analysis = analysis.without([(x.start, x.end) for x in stray])
    fp = fingerprint(analysis, archive.params)
    verified: list[VerifiedSource] = []
    for c in archive.candidates(fp, limit=VERIFY):
        src = archive.get(c.id)
        sa = analyze(src.text)
        verified.append(VerifiedSource(c.id, src.title, src.url, sa, align(analysis, sa)))
    verified.sort(key=lambda v: -v.alignment.score)
    sources = [v for v in verified if v.alignment.score >= threshold]

    # Each copy sentence is explained by the best-ranked source that aligns it.
    substitutions: list[Substitution] = []
    aligned: list[tuple[tuple[int, int], str, tuple[int, int]]] = []
    taken: set[int] = set()
    for v in sources:
        mine = {p.copy_sentence for p in v.alignment.pairs} - taken
        taken |= mine
        substitutions.extend(substitutions_from(analysis, v, mine))
        for p in v.alignment.pairs:
            if p.copy_sentence in mine:
                c0, c1 = analysis.sentences[p.copy_sentence]
                s0, s1 = v.analysis.sentences[p.source_sentence]
                aligned.append((analysis.input_span(c0, c1), v.id, v.analysis.input_span(s0, s1)))
    substitutions.sort(key=lambda s: s.start)
    return TraceReport(
        id=doc_id,
        verdict="copy" if sources else "no-source",
        sources=[
            Source(
                id=v.id,
                score=round(v.alignment.score, 4),
                coverage=round(v.alignment.coverage, 4),
                reused=round(v.alignment.reused, 4),
                title=v.title,
                url=v.url,
            )
            for v in sources
        ],
        substitutions=substitutions,
        restored=restore(analysis.text, substitutions, stray),
        text=analysis.text,
        stray=stray,
        evasions=analysis.norm.evasions,
        aligned_sentences=sorted(aligned),
    )


@dataclass(frozen=True)
class Prelude:
    """What every check of a document starts with: its debris and its language."""

    doc: Document
    stray: list[Stray]
    language: str

    @property
    def english(self) -> bool:
        return self.language == "en"

    def without_strays(self) -> str:
        return restore(self.doc.text, [], self.stray)


def prelude(doc: Document | str) -> Prelude:
    """Find stray lines and the language of ``doc`` (a string becomes a document "text")."""
    if isinstance(doc, str):
        doc = Document(id="text", text=doc)
    stray = find_strays(doc.text, doc.title)
    return Prelude(doc, stray, detect_language(restore(doc.text, [], stray)))


def trace(
    doc: Document | str, archive: Archive, *, threshold: float = TRACE_THRESHOLD
) -> TraceReport:
    """Find the sources of ``doc`` in ``archive`` and explain every change."""
    p = prelude(doc)
    if not p.english:
        return TraceReport(
            id=p.doc.id,
            verdict="not-english",
            sources=[],
            substitutions=[],
            restored=p.without_strays(),
            text=p.doc.text,
            stray=p.stray,
            language=p.language,
            evasions=normalize(p.doc.text).evasions,
        )
    return trace_analysis(
        p.doc.id, analyze(p.doc.text), archive, threshold=threshold, stray=p.stray
    )
