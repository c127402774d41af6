"""Spot spun words without a source.

1. Content words and phrases a thesaurus knows are spans; each span's plausible
   originals come from the lexicon (reverse thesauri, vector neighbours), inflected like
   the written word.
2. A cheap pass: the language model reads each sentence once, which gives every word's
   surprisal, the model's next-token expectation in front of each span and, where the
   model has one, a probe's reading of its hidden states around the span
   (:mod:`unspin.probe`). A ranker picks each span's candidates worth re-scoring and a
   selection model the spans most likely substituted (both fitted on spun text).
3. The language model re-reads a window around each chosen span with each candidate in
   its place. A span is flagged when some candidate explains its context clearly better
   (a gain in log-probability over the words as written).
4. `check` then reads the flags' suggestions again in restored context
   (:mod:`unspin.reread`), with the ranker's reserve candidates.

The weights and thresholds live in :mod:`unspin.calibration`, fitted on data by
bench/detect_bench.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from unspin import calibration
from unspin.function_words import FUNCTION_WORDS
from unspin.lexicon import Candidate, Lexicon
from unspin.scorer import Scorer
from unspin.segment import WORD, Analysis, immutable_mask

_LEFT_WORDS = 5  # context before a suspect
_RIGHT_WORDS = 2  # words after it that must still fit
# Candidates per span kept after the ranker: the first `k` are scored for every suspect,
# the rest only for flagged spans, by the second reading (unspin.reread).
RESERVE = 12
_MAX_PHRASE = 3
# Candidates per span drawn from the lexicon (by prior) and ranked by the first LM pass.
_LEXICON_CANDIDATES = 128


@dataclass(frozen=True)
class Suggestion:
    text: str
    confidence: float  # probability that this is the original, among the alternatives
    gain: float  # log-probability gain over the word as written


@dataclass(frozen=True)
class Flag:
    start: int  # token range [start, end) in the analysis
    end: int
    surprisal: float
    suggestions: tuple[Suggestion, ...]
    probability: float  # calibrated probability that the span is a substitution

    @property
    def best(self) -> Suggestion:
        return self.suggestions[0]


@dataclass(frozen=True)
class Detection:
    flags: list[Flag]
    content_words: int
    features: dict[str, float]
    spin_score: float
    scored: list[Scored]  # every suspect, as scored: what the flags came from


@dataclass(frozen=True)
class _Suspect:
    start: int
    end: int
    surprisal: float
    pre_gain: float  # first-token log-probability of the best candidate over the written
    candidates: tuple[str, ...]  # best first
    priors: tuple[float, ...]  # the lexicon's prior of each candidate
    ranks: tuple[float, ...]  # the ranker's log-odds of each candidate, relative to the best
    suspicion: float  # how worth re-scoring the span is (see suspicion())
    zipf: float  # frequency of the written word(s)
    zipfs: tuple[float, ...]  # frequency of each candidate
    probe: float  # see SpanCandidates
    reserve: tuple[tuple[str, float, float, float], ...]  # see Scored


@dataclass(frozen=True)
class FirstPass:
    """What one LM pass over each sentence gives (see :func:`first_pass`)."""

    surprisal: dict[int, float]  # token -> nats, every word token
    dists: dict[int, np.ndarray]  # span start -> next-token log-probabilities in front
    states: dict[int, np.ndarray]  # span start -> hidden states [3, hidden], when asked


def first_pass(
    a: Analysis,
    scorer: Scorer,
    wanted: dict[int, int],
    *,
    states: bool = False,
    layer: int | None = None,
) -> FirstPass:
    """One LM pass over each sentence: the surprisal of every word token and, for the
    spans in ``wanted`` (start -> end token), the model's next-token distribution in front
    of them and (``states``) the hidden states after ``layer`` around them, for
    :mod:`unspin.probe`."""
    text = a.norm.text
    sents = [text[s:e] for s, e in a.sentence_spans]
    asked = [[k for k in range(i, j) if k in wanted] for i, j in a.sentences]
    at = [
        [a.spans.starts[k] - s0 for k in ks]
        for ks, (s0, _) in zip(asked, a.sentence_spans, strict=True)
    ]
    spans_at = None
    if states:
        spans_at = [
            [(a.spans.starts[k] - s0, a.spans.ends[wanted[k] - 1] - s0) for k in ks]
            for ks, (s0, _) in zip(asked, a.sentence_spans, strict=True)
        ]
    out = FirstPass({}, {}, {})
    scores = scorer.token_scores(sents, dists_at=at, spans_at=spans_at, layer=layer)
    for (i, j), (s0, _), ks, ts in zip(a.sentences, a.sentence_spans, asked, scores, strict=True):
        starts = np.array([o[0] for o in ts.offsets], dtype=np.int64)
        ends = np.array([o[1] for o in ts.offsets], dtype=np.int64)
        for k in range(i, j):
            ws, we = a.spans.starts[k] - s0, a.spans.ends[k] - s0
            sel = (starts < we) & (ends > ws)
            out.surprisal[k] = float(-ts.logprobs[sel].sum()) if sel.any() else 0.0
        for row, k in enumerate(ks):
            out.dists[k] = ts.dists[row]
            if states:
                out.states[k] = ts.span_states[row]
    return out


def _content_positions(a: Analysis) -> list[int]:
    mask = immutable_mask(a)
    pos = []
    for i, j in a.sentences:
        for k in range(i, j):
            t = a.tokens[k]
            if (
                a.kinds[k] == WORD
                and not mask[k]
                and t not in FUNCTION_WORDS
                and len(t) >= 3
                and t.isalpha()
            ):
                pos.append(k)
    return pos


def _spans(a: Analysis, content: list[int], lexicon: Lexicon) -> list[tuple[int, int]]:
    """Token spans a spinner may have replaced: phrases a thesaurus lists as synonyms
    ("cessation of hostilities") first, then the remaining content words."""
    content_set = set(content)
    out: list[tuple[int, int]] = []
    taken: set[int] = set()
    for i, j in a.sentences:
        for n in range(_MAX_PHRASE, 1, -1):
            for k in range(i, j - n + 1):
                span = range(k, k + n)
                if any(x in taken for x in span) or not (
                    a.kinds[k] == WORD and a.kinds[k + n - 1] == WORD
                ):
                    continue
                if k not in content_set and k + n - 1 not in content_set:
                    continue
                if " ".join(a.tokens[k : k + n]) in lexicon.reverse:
                    out.append((k, k + n))
                    taken.update(span)
    out.extend((k, k + 1) for k in content if k not in taken)
    return out


def _cased(a: Analysis, start: int, word: str) -> str:
    """``word`` capitalised like the written word at token ``start``."""
    if a.capitalised[start] and word[:1].islower():
        return word[0].upper() + word[1:]
    return word


def _as_written(a: Analysis, start: int, word: str, sent_start: bool) -> str:
    """``word`` as it would appear at token ``start``: cased like the written word, led
    by a space unless it opens the sentence (how the tokenizer will see it)."""
    word = _cased(a, start, word)
    return word if sent_start else " " + word


def candidate_features(
    pre: np.ndarray, n_tokens: np.ndarray, found: Sequence[Candidate], similarity: np.ndarray
) -> dict[str, np.ndarray]:
    """What the candidate ranker sees for each candidate of one span: the first pass's
    log-probability of its first token (``pre``), how many tokens it takes (a long word's
    first piece is judged generously), and the lexicon's view of it."""
    n = np.minimum(n_tokens, 4).astype(np.float64)
    return {
        "first_token": pre,
        "tokens": n,
        "first_token_multi": pre * (n > 1),
        "prior": np.array([c.prior for c in found], dtype=np.float64),
        "similarity": similarity,
        "zipf": np.array([Lexicon.zipf(c.text) for c in found], dtype=np.float64),
        "lexicon_rank": np.log1p(np.arange(len(found), dtype=np.float64)),
        "thesaurus": np.array([("thesaurus" in c.sources) for c in found], dtype=np.float64),
        "glove": np.array([("glove" in c.sources) for c in found], dtype=np.float64),
        "composed": np.array([("composed" in c.sources) for c in found], dtype=np.float64),
        "phrase": np.array([(" " in c.text) for c in found], dtype=np.float64),
    }


def rank_logits(feats: dict[str, np.ndarray]) -> np.ndarray:
    """Log-odds (up to a constant per span) that each candidate is the original, from
    :func:`candidate_features` (conditional logit from :mod:`unspin.calibration`)."""
    n = len(next(iter(feats.values())))
    z = np.zeros(n, dtype=np.float64)
    for name, w in calibration.CANDIDATE_WEIGHTS.items():
        z += w * feats[name]
    return z


@dataclass(frozen=True)
class SpanCandidates:
    """One span a spinner may have touched, with every lexicon candidate and what the
    first pass saw of each: the input of the candidate ranker."""

    start: int
    end: int
    surprisal: float
    own: float  # first-pass log-probability of the written word's first token
    zipf: float  # frequency of the written word(s)
    found: tuple[Candidate, ...]
    features: dict[str, np.ndarray]  # candidate_features()
    probe: float  # the hidden-state probe's log-odds of a substitution (0: no probe)

    @property
    def pre_gain(self) -> float:
        """How much more the first pass expects the best candidate's first token than
        the written word's."""
        return float(self.features["first_token"].max()) - self.own


def candidate_spans(
    a: Analysis, content: list[int], lexicon: Lexicon
) -> list[tuple[int, int, list[Candidate]]]:
    """The spans a spinner may have touched that the lexicon has candidates for, with
    them (at most :data:`_LEXICON_CANDIDATES`, best prior first)."""
    out = []
    for s, e in _spans(a, content, lexicon):
        found = lexicon.candidates(" ".join(a.tokens[s:e]), _LEXICON_CANDIDATES)
        if found:
            out.append((s, e, found))
    return out


def span_candidates(
    a: Analysis, content: list[int], scorer: Scorer, lexicon: Lexicon
) -> list[SpanCandidates]:
    """Every span with lexicon candidates, after one LM pass over each sentence: the pass
    gives, for free, the distribution over the next token in front of each span."""
    sent_starts = {i for i, _ in a.sentences}
    spans = candidate_spans(a, content, lexicon)
    probe = scorer.probe
    fp = first_pass(
        a,
        scorer,
        {s: e for s, e, _ in spans},
        states=probe is not None,
        layer=probe.layer if probe is not None else None,
    )
    surprisal, dists = fp.surprisal, fp.dists
    probed: dict[int, float] = {}
    if probe is not None and spans:
        starts = [s for s, _, _ in spans]
        logits = probe.logits(np.stack([fp.states[s] for s in starts]))
        probed = dict(zip(starts, logits.tolist(), strict=True))
    out = []
    for s, e, found in spans:
        d = dists[s]
        opener = s in sent_starts
        written = a.token_text(s, s + 1)
        own = float(d[scorer.first_token(_as_written(a, s, written, opener))])
        cands = [c.text for c in found]
        shown = [_as_written(a, s, c, opener) for c in cands]
        pre = np.array([d[scorer.first_token(t)] for t in shown], dtype=np.float64)
        n_tok = np.array([scorer.n_tokens(t) for t in shown], dtype=np.float64)
        written_words = " ".join(a.tokens[s:e])
        sims = lexicon.similarities(written_words, cands)
        out.append(
            SpanCandidates(
                s,
                e,
                sum(surprisal.get(x, 0.0) for x in range(s, e)),
                own,
                lexicon.zipf(written_words),
                tuple(found),
                candidate_features(pre, n_tok, found, sims),
                probed.get(s, 0.0),
            )
        )
    return out


def selection_features(sc: SpanCandidates, logits: np.ndarray) -> dict[str, float]:
    """What decides which spans are re-scored, all from the first pass and the lexicon:
    how much the model prefers a candidate's first token to the written word's, how
    surprising the written word is and how common, and how sure the ranker is."""
    share = np.exp(logits - logits.max())
    return {
        "pre_gain": sc.pre_gain,
        "own": sc.own,
        "surprisal": sc.surprisal,
        "zipf_written": sc.zipf,
        "phrase": float(sc.end - sc.start > 1),
        "candidates": math.log(len(sc.found)),
        "ranker_top": float(logits.max()),
        "ranker_top_share": float(1.0 / share.sum()),
        "probe": sc.probe,
    }


def suspicion(f: dict[str, float]) -> float:
    """Log-odds (up to a constant) that a span was substituted, from its
    :func:`selection_features` (logistic model from :mod:`unspin.calibration`): the
    spans re-scored are the most suspicious ones."""
    return sum(w * f[k] for k, w in calibration.SELECT_WEIGHTS.items())


def _suspects(
    a: Analysis,
    content: list[int],
    scorer: Scorer,
    lexicon: Lexicon,
    k: int,
) -> list[_Suspect]:
    """Spans whose candidates the left context prefers, each with its best ``k``
    candidates (and the next ones up to :data:`RESERVE` in reserve), most suspicious
    first.

    A candidate whose first token the model expects more than the written word's is
    evidence of a substitution. The candidates worth re-scoring are those the ranker
    (fitted on spun text) prefers, reading the first pass and the lexicon."""
    out: list[_Suspect] = []
    for sc in span_candidates(a, content, scorer, lexicon):
        logits = rank_logits(sc.features)
        ranked = np.argsort(-logits, kind="stable")[: max(k, RESERVE)]
        order = ranked[:k]
        rel = logits - logits[order[0]]  # the ranker's log-odds against the best
        out.append(
            _Suspect(
                sc.start,
                sc.end,
                sc.surprisal,
                sc.pre_gain,
                tuple(sc.found[int(i)].text for i in order),
                tuple(sc.found[int(i)].prior for i in order),
                tuple(round(float(rel[i]), 3) for i in order),
                suspicion(selection_features(sc, logits)),
                sc.zipf,
                tuple(float(sc.features["zipf"][i]) for i in order),
                sc.probe,
                tuple(
                    (
                        sc.found[int(i)].text,
                        sc.found[int(i)].prior,
                        round(float(rel[i]), 3),
                        float(sc.features["zipf"][i]),
                    )
                    for i in ranked[k:]
                ),
            )
        )
    cap = max(8, math.ceil(calibration.MAX_SUSPECT_SHARE * len(content)))
    order = np.argsort(-np.array([x.suspicion for x in out]), kind="stable")
    return [out[int(i)] for i in order[:cap]]


def context_window(
    a: Analysis,
    start: int,
    end: int,
    replacement: str,
    *,
    left_words: int = _LEFT_WORDS,
    right_words: int = _RIGHT_WORDS,
    restored: Mapping[int, tuple[int, str]] | None = None,
) -> tuple[str, str]:
    """(left context, replacement + right context) for tokens [start, end) within their
    sentence: up to ``left_words`` words before, ``right_words`` after. ``restored``
    (span start -> (end, text)) puts other spans' suggested originals in the context."""
    text = a.norm.text
    restored = restored or {}
    sent = next((i, j) for i, j in a.sentences if i <= start < j)
    words = [k for k in range(sent[0], start) if a.kinds[k] == WORD][-left_words:]
    first = words[0] if words else sent[0]
    after = [k for k in range(end, sent[1]) if a.kinds[k] == WORD][:right_words]
    last = after[-1] + 1 if after else end
    for k, (e, _) in restored.items():  # a restored span counts whole or not at all
        if k < first < e:
            first = k
        if k < last < e:
            last = e

    def read(i: int, j: int) -> str:
        """The text of tokens [i, j) with the restored spans in it."""
        out, pos, k = [], a.spans.starts[i], i
        while k < j:
            if k in restored and restored[k][0] <= j:
                e, t = restored[k]
                out += [text[pos : a.spans.starts[k]], _cased(a, k, t)]
                pos, k = a.spans.ends[e - 1], e
            else:
                k += 1
        return "".join(out) + text[pos : a.spans.ends[j - 1]]

    left = read(first, start).rstrip() if first < start else ""
    right = ""
    if last > end:
        right = text[a.spans.ends[end - 1] : a.spans.starts[end]] + read(end, last)
    return left, (" " if left else "") + _cased(a, start, replacement) + right


@dataclass(frozen=True)
class Scored:
    """A suspect with its candidates scored by the LM: everything detection decides on."""

    start: int
    end: int
    surprisal: float
    zipf: float  # frequency of the written word(s)
    candidates: tuple[str, ...]
    gains: tuple[float, ...]  # log-probability gain of each candidate over the written
    zipfs: tuple[float, ...]  # frequency of each candidate
    has_left_context: bool
    pre_gain: float = 0.0  # what the first pass saw: see _Suspect
    priors: tuple[float, ...] = ()  # the lexicon's prior of each candidate
    ranks: tuple[float, ...] = ()  # the candidate ranker's log-odds, relative to the best
    probe: float = 0.0  # the hidden-state probe's log-odds (see SpanCandidates)
    # The ranker's next candidates, not yet scored: (text, prior, rank, zipf) each.
    reserve: tuple[tuple[str, float, float, float], ...] = ()

    def with_reserve(self) -> Scored:
        """This suspect with its reserve joined to its candidates (their gains still to
        be scored: the caller replaces ``gains``)."""
        r = self.reserve
        return replace(
            self,
            candidates=self.candidates + tuple(x[0] for x in r),
            priors=self.priors + tuple(x[1] for x in r),
            ranks=self.ranks + tuple(x[2] for x in r),
            zipfs=self.zipfs + tuple(x[3] for x in r),
            reserve=(),
        )

    def adjusted(self, discount: float | None = None) -> np.ndarray:
        """Gains with part of the unigram preference removed: a language model prefers a
        common word anywhere, a spun word is odd in its context. ``discount`` defaults to
        :data:`unspin.calibration.FREQ_DISCOUNT`."""
        d = calibration.FREQ_DISCOUNT if discount is None else discount
        g = np.asarray(self.gains, dtype=np.float64)
        z = np.asarray(self.zipfs, dtype=np.float64)
        return g - d * math.log(10) * (z - self.zipf)


def score_suspects(
    a: Analysis,
    scorer: Scorer,
    lexicon: Lexicon,
    *,
    k: int = 6,
    content: list[int] | None = None,
) -> list[Scored]:
    """Find suspects and score their best ``k`` candidates in context (no thresholds
    applied). ``content``: the content-word positions, when the caller has them."""
    content = _content_positions(a) if content is None else content
    if not content:
        return []
    suspects = _suspects(a, content, scorer, lexicon, k)
    pairs: list[tuple[str, str]] = []
    for s in suspects:
        for text in (a.token_text(s.start, s.end), *s.candidates):
            pairs.append(context_window(a, s.start, s.end, text))
    scores = scorer.continuation_scores(pairs)
    out: list[Scored] = []
    pos = 0
    sent_starts = {i for i, _ in a.sentences}
    for s in suspects:
        cands = s.candidates
        own = float(scores[pos])
        gains = scores[pos + 1 : pos + 1 + len(cands)].astype(np.float64) - own
        pos += 1 + len(cands)
        out.append(
            Scored(
                start=s.start,
                end=s.end,
                surprisal=round(s.surprisal, 3),
                zipf=s.zipf,
                candidates=tuple(cands),
                gains=tuple(round(float(g), 3) for g in gains),
                zipfs=s.zipfs,
                has_left_context=s.start not in sent_starts,
                pre_gain=round(s.pre_gain, 3),
                priors=s.priors,
                ranks=s.ranks,
                probe=round(s.probe, 3),
                reserve=s.reserve,
            )
        )
    return out


def word_features(s: Scored) -> dict[str, float]:
    """What the word-level model sees for one suspect."""
    adj = s.adjusted()
    best = int(np.argmax(adj))
    return {
        "surprisal": s.surprisal,
        "best_adjusted_gain": float(adj[best]),
        "best_gain": float(s.gains[best]),
        "zipf_written": s.zipf,
        "zipf_best": s.zipfs[best],
        "phrase": float(s.end - s.start > 1),
        "pre_gain": s.pre_gain,
        "prior_best": s.priors[best] if s.priors else 0.0,
        "second_gain": float(np.sort(adj)[-2]) if len(adj) > 1 else float(adj[best]),
        # A context that prefers a candidate the lexicon and first pass found unlikely
        # is weaker evidence.
        "rank_best": s.ranks[best] if s.ranks else 0.0,
        "probe": s.probe,
    }


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def word_probability(s: Scored) -> float:
    """First-stage probability that this suspect is a substitution, from its own evidence
    (logistic model from :mod:`unspin.calibration`)."""
    f = word_features(s)
    return _logistic(
        calibration.WORD_BIAS + sum(w * f[k] for k, w in calibration.WORD_WEIGHTS.items())
    )


def doc_prior(scored: list[Scored]) -> float:
    """How spun the document looks from its words: the mean first-stage probability of
    its suspects (those with left context)."""
    ps = [word_probability(s) for s in scored if s.has_left_context]
    return float(np.mean(ps)) if ps else 0.0


def _logit(p: float) -> float:
    p = min(max(p, 1e-3), 1 - 1e-3)
    return math.log(p / (1 - p))


def stack_features(scored: list[Scored]) -> list[dict[str, float]]:
    """What the second stage sees for each suspect: its own features and the log-odds of
    the document's prior (:func:`doc_prior`)."""
    doc_logit = _logit(doc_prior(scored))
    return [{**word_features(s), "doc_logit": doc_logit} for s in scored]


def spun_probability(f: dict[str, float]) -> float:
    """Calibrated probability that a suspect is a substitution, from its
    :func:`stack_features`.

    An odd word in an otherwise clean text is usually just an odd word; in a text full of
    odd words it is usually a substitution: the second stage lets the document's own
    rate of substitution set the bar."""
    return _logistic(
        calibration.STACK_BIAS
        + sum(w * f.get(k, 0.0) for k, w in calibration.STACK_WEIGHTS.items())
    )


def suggestion_scores(s: Scored) -> np.ndarray:
    """How each candidate of ``s`` ranks as the suggested original: its gain in context
    (with its own discount, fitted for restoration) plus the ranker's view, which also
    read the lexicon."""
    adj = s.adjusted(calibration.RANK_DISCOUNT)
    if s.ranks:
        adj = adj + calibration.RANK_PRIOR * np.asarray(s.ranks, dtype=np.float64)
    return adj


def flags_from(scored: list[Scored], *, min_prob: float | None = None) -> list[Flag]:
    """Flag suspects the word model calls substitutions with probability >= ``min_prob``.

    Each suggestion's confidence is that probability shared among the candidates by a
    softmax over their frequency-adjusted gains."""
    threshold = calibration.MIN_WORD_PROB if min_prob is None else min_prob
    flags = []
    for s, f in zip(scored, stack_features(scored), strict=True):
        if not s.has_left_context:
            continue  # with no context the LM judges frequency, not fit
        p = spun_probability(f)
        if p < threshold:
            continue
        flags.append(Flag(s.start, s.end, s.surprisal, suggestions(s, p), round(p, 4)))
    return flags


def suggestions(s: Scored, p: float) -> tuple[Suggestion, ...]:
    """The three best candidates of ``s`` (:func:`suggestion_scores`), each with its
    share of ``p`` (the probability of a substitution): a softmax over the scores."""
    adj = suggestion_scores(s)
    share = np.exp(adj - adj.max())
    share /= share.sum()
    return tuple(
        Suggestion(s.candidates[i], round(float(p * share[i]), 4), round(float(adj[i]), 3))
        for i in (int(x) for x in np.argsort(-adj)[:3])
    )


def features(flags: list[Flag], content_words: int, scored: list[Scored]) -> dict[str, float]:
    """Document-level evidence, per content word where it is a count. The document model
    reads the first-stage word probabilities: their mean over suspects (``doc_prior``),
    the mean of the top quarter, their sum and the number above one half."""
    n = max(1, content_words)
    ps = sorted((word_probability(s) for s in scored if s.has_left_context), reverse=True)
    return {
        "flag_rate": len(flags) / n,
        "suspect_rate": len(scored) / n,
        "doc_prior": float(np.mean(ps)) if ps else 0.0,
        "top_mean": float(np.mean(ps[: max(1, len(ps) // 4)])) if ps else 0.0,
        "prob_sum_rate": sum(ps) / n,
        "strong_rate": sum(p > 0.5 for p in ps) / n,
    }


def spin_score(feats: dict[str, float]) -> float:
    """Calibrated probability that the document is spun (logistic model from
    :mod:`unspin.calibration`)."""
    return _logistic(
        calibration.SCORE_BIAS
        + sum(w * feats.get(name, 0.0) for name, w in calibration.SCORE_WEIGHTS.items())
    )


def judge(scored: list[Scored], content_words: int, *, min_prob: float | None = None) -> Detection:
    """Flags (:func:`flags_from`), document features and spin score of a document's
    scored suspects. A document the score calls clean keeps no flags: there, an odd word
    is far more often a writer's choice than a substitution, and a clean verdict beside
    flagged words would say two things at once."""
    flags = flags_from(scored, min_prob=min_prob)
    feats = features(flags, content_words, scored)
    score = spin_score(feats)
    if flags and score < calibration.SPUN_THRESHOLD:
        flags = []
        feats = features(flags, content_words, scored)
    return Detection(flags, content_words, feats, score, scored)


def detect(a: Analysis, scorer: Scorer, lexicon: Lexicon, *, k: int = 6) -> Detection:
    """Flag spun words in ``a`` (stray sentences already left out)."""
    content = _content_positions(a)
    if not content:  # nothing a spinner could have touched
        return Detection([], 0, features([], 0, []), 0.0, [])
    return judge(score_suspects(a, scorer, lexicon, k=k, content=content), len(content))
