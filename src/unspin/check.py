"""`unspin check`: is this text spun, which words, and what did they say?

Works without a source: the language model and the lexicon flag words that read wrong and
propose originals. With an archive, tracing runs too and source-backed substitutions win
over the model's guesses wherever both speak about the same words.
"""

from __future__ import annotations

from functools import lru_cache

from unspin import calibration
from unspin.archive import Archive
from unspin.detect import detect
from unspin.document import Document
from unspin.lexicon import Lexicon
from unspin.normalize import normalize
from unspin.report import CheckReport, CheckSubstitution
from unspin.reread import reread
from unspin.scorer import Scorer
from unspin.segment import Analysis, analyze
from unspin.trace import TRACE_THRESHOLD, prelude, restore, trace_analysis


@lru_cache(maxsize=4)
def load_scorer(
    model: str | None = None,
    threads: int | None = None,
    batch_size: int = 32,
    dtype: str = "auto",
) -> Scorer:
    """The scorer for ``model``, loaded once per process."""
    return Scorer(model, threads=threads, batch_size=batch_size, dtype=dtype)


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    return Lexicon()


def _token_spans(a: Analysis, subs: list[CheckSubstitution]) -> dict[int, tuple[int, str]]:
    """Source-backed substitutions as token spans of ``a`` (start -> (end, original)), for
    the second reading's context: a source's original beats the model's guess there too."""
    if not subs:
        return {}
    starts, ends = {}, {}
    for k in range(len(a.tokens)):
        s, e = a.input_span(k, k + 1)
        starts[s], ends[e] = k, k + 1
    out = {}
    for x in subs:
        i, j = starts.get(x.start), ends.get(x.end)
        if i is not None and j is not None and i < j and x.original:
            out[i] = (j, x.original)
    return out


def check(
    doc: Document | str,
    *,
    archive: Archive | None = None,
    scorer: Scorer | None = None,
    lexicon: Lexicon | None = None,
    threshold: float = TRACE_THRESHOLD,
) -> CheckReport:
    """Flag spun words in ``doc``, suggest originals, score the document."""
    p = prelude(doc)
    doc, stray = p.doc, p.stray
    if not p.english:
        return CheckReport(
            id=doc.id,
            verdict="not-english",
            spin_score=0.0,
            sources=[],
            substitutions=[],
            restored=p.without_strays(),
            text=doc.text,
            stray=stray,
            language=p.language,
            evasions=normalize(doc.text).evasions,
        )
    scorer = scorer or load_scorer()
    lexicon = lexicon or load_lexicon()
    full = analyze(doc.text)
    analysis = full.without([(x.start, x.end) for x in stray])

    subs: list[CheckSubstitution] = []
    sources = []
    if archive is not None:
        traced = trace_analysis(doc.id, full, archive, threshold=threshold, stray=stray)
        sources = traced.sources
        subs = [
            CheckSubstitution(s.start, s.end, s.text, s.original, s.source_id)
            for s in traced.substitutions
        ]
    taken = [(s.start, s.end) for s in subs]
    found = detect(analysis, scorer, lexicon)
    known = _token_spans(analysis, subs)
    for f in reread(analysis, scorer, found.flags, found.scored, known=known):
        start, end = analysis.input_span(f.start, f.end)
        if any(a < end and start < b for a, b in taken):
            continue  # the source already says what these words were
        best = f.best
        subs.append(
            CheckSubstitution(
                start,
                end,
                doc.text[start:end],
                best.text,
                None,
                confidence=best.confidence,
                alternatives=tuple(s.text for s in f.suggestions[1:]),
            )
        )
    subs.sort(key=lambda s: s.start)
    spun = found.spin_score >= calibration.SPUN_THRESHOLD or any(
        s.source_id is not None for s in subs
    )
    return CheckReport(
        id=doc.id,
        verdict="spun" if spun else "clean",
        spin_score=round(found.spin_score, 4),
        sources=sources,
        substitutions=subs,
        # A clean verdict keeps the words as written (and has no model guesses left:
        # detect.judge); source-backed substitutions are restored either way.
        restored=restore(doc.text, [s for s in subs if spun or s.source_id], stray),
        text=doc.text,
        stray=stray,
        language=p.language,
        evasions=full.norm.evasions,
    )
