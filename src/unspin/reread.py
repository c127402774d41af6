"""A second reading of the flagged words: suggestions in restored context.

Detection scores each suspect's candidates in a short window of the text as written. In a
heavily spun text that window is spun too ("on the harmony track ... cultural Iranian"),
and the model judges a candidate against the spinner's words. Once the flags are known,
the second reading puts every other flag's best suggestion back in its place, widens the
window to the sentence, and scores each flagged span's candidates again, the ranker's
reserve (:data:`unspin.detect.RESERVE`) included. Only the suggestions change: which words
are flagged, and how surely, stays the first reading's.

Measured with bench/detect_bench.py (bench/RESULTS.md, Detection): the true original is the
top suggestion for more of the correctly flagged words, most at high spin rates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from unspin.detect import Flag, Scored, context_window, suggestion_scores, suggestions
from unspin.scorer import Scorer
from unspin.segment import Analysis

LEFT_WORDS = 40  # in practice the sentence up to the span
# Eight words after the span restored 0.5 points more of the right flags than four, for
# half as much time again.
RIGHT_WORDS = 4
# A second round, reading with the first round's suggestions, restored 0.5 points more
# of the right flags for as much time again as the first: not worth it by default.
ROUNDS = 1

Restored = Mapping[int, tuple[int, str]]  # span start -> (end, suggested original)


def rescore(
    a: Analysis, scorer: Scorer, targets: Sequence[Scored], restored: Restored
) -> list[Scored]:
    """Each target with all its candidates (the reserve joined to them) scored again in a
    sentence-wide window where the spans in ``restored`` read as their suggestions."""
    pairs: list[tuple[str, str]] = []
    widened = []
    for s in targets:
        w = s.with_reserve()
        widened.append(w)
        written = a.token_text(s.start, s.end)
        for text in (written, *w.candidates):
            pairs.append(
                context_window(
                    a,
                    s.start,
                    s.end,
                    text,
                    left_words=LEFT_WORDS,
                    right_words=RIGHT_WORDS,
                    restored=restored,
                )
            )
    scores = scorer.continuation_scores(pairs)
    out, pos = [], 0
    for w in widened:
        n = len(w.candidates)
        gains = scores[pos + 1 : pos + 1 + n].astype(np.float64) - float(scores[pos])
        pos += 1 + n
        out.append(replace(w, gains=tuple(round(float(g), 3) for g in gains)))
    return out


def context_of(flags: Sequence[Flag], known: Restored | None = None) -> dict[int, tuple[int, str]]:
    """What the second reading puts back in the text: each flag's best suggestion, except
    where ``known`` (originals a source gave: span start -> (end, text)) covers its words,
    which wins."""
    known = known or {}
    spans = [(k, e) for k, (e, _) in known.items()]
    out = {
        f.start: (f.end, f.best.text)
        for f in flags
        if not any(k < f.end and f.start < e for k, e in spans)
    }
    out.update(known)
    return out


def reread_scored(
    a: Analysis,
    scorer: Scorer,
    flags: Sequence[Flag],
    targets: Sequence[Scored],
    *,
    rounds: int = ROUNDS,
    known: Restored | None = None,
) -> list[Scored]:
    """``targets`` (the flags' suspects) re-scored in the context :func:`context_of`
    gives, ``rounds`` times, each round reading the previous one's suggestions."""
    known = known or {}
    restored = context_of(flags, known)
    out = list(targets)
    for _ in range(rounds):
        out = rescore(a, scorer, targets, restored)
        for s in out:
            if s.start not in known and restored.get(s.start, (-1, ""))[0] == s.end:
                best = int(np.argmax(suggestion_scores(s)))
                restored[s.start] = (s.end, s.candidates[best])
    return out


def reread(
    a: Analysis,
    scorer: Scorer,
    flags: Sequence[Flag],
    scored: Sequence[Scored],
    *,
    rounds: int = ROUNDS,
    known: Restored | None = None,
) -> list[Flag]:
    """``flags`` with their suggestions from the second reading; ``scored`` holds the
    suspects they came from, ``known`` originals a source gave (see :func:`context_of`)."""
    if not flags or rounds < 1:
        return list(flags)
    by_span = {(s.start, s.end): s for s in scored}
    targets = [by_span[(f.start, f.end)] for f in flags]
    again = reread_scored(a, scorer, flags, targets, rounds=rounds, known=known)
    return [
        replace(f, suggestions=suggestions(s, f.probability))
        for f, s in zip(flags, again, strict=True)
    ]
