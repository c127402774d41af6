"""Align a copy with a candidate source: sentences first (any order), then words.

Sentences of a spun copy keep their source's skeleton but may be reordered, dropped or
have their clauses swapped. Each copy sentence is paired with the source sentence it
resembles most; within a pair, tokens are aligned by longest common subsequence
(rapidfuzz's Indel editops, or the C module's own LCS, which makes the same choices)
and, where both sentences have several clauses that match out of order, clause by
clause. Every stretch of copy words that differs from the source inside an aligned pair
is a change: usually a substitution, sometimes an insertion. ``unspin._align`` runs the
loop over sentences in C when it was built; the Python here is its reference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import compress
from typing import NamedTuple

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel, LCSseq

from unspin.native import compiled
from unspin.segment import PUNCT, Analysis

# Clause boundaries inside a sentence: where spinners cut to swap clauses.
_CLAUSE_MARKS = frozenset({",", ";", ":", "\u2014"})
# A copy sentence is aligned to a source sentence when at least this share of the pair's
# words match in order (Dice over words). Set by hand on the example texts; the trace
# benchmark (bench/trace_bench.py) reports how tracing behaves with it.
MIN_SENTENCE_MATCH = 0.35
_MIN_CLAUSE_SIM = 0.3
_BASE = 0x4E00  # encode tokens as CJK code points so rapidfuzz works on plain strings


class Change(NamedTuple):
    """A differing stretch inside an aligned sentence pair (token ranges). A named tuple:
    alignment makes one per change of every sentence (a frozen dataclass costs twice as
    much to make)."""

    copy_start: int
    copy_end: int
    source_start: int
    source_end: int


class SentencePair(NamedTuple):
    copy_sentence: int
    source_sentence: int
    match: float  # Dice share of words matched in order
    matched_words: int
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Alignment:
    pairs: tuple[SentencePair, ...]
    copy_words: int
    source_words: int
    aligned_copy_words: int  # copy words inside aligned sentences
    reused_source_words: int  # source words inside aligned source sentences
    matched_words: int  # copy words equal to their aligned source word

    @property
    def coverage(self) -> float:
        """Share of the copy's words explained by the source."""
        return self.aligned_copy_words / self.copy_words if self.copy_words else 0.0

    @property
    def reused(self) -> float:
        """Share of the source's words that the copy reuses."""
        return self.reused_source_words / self.source_words if self.source_words else 0.0

    @property
    def score(self) -> float:
        """Share of the copy's words that are the source's words, in the source's order."""
        return self.matched_words / self.copy_words if self.copy_words else 0.0


class Codes:
    """Tokens as single characters, so that token sequences are plain strings for
    rapidfuzz. Any one-to-one coding aligns the same; documents aligned together share
    one coding (a crawl's component encodes each of its documents once)."""

    def __init__(self, ids: dict[str, str] | None = None) -> None:
        self.ids: dict[str, str] = {} if ids is None else ids

    def __call__(self, tokens: list[str]) -> str:
        ids = self.ids
        new = [t for t in dict.fromkeys(tokens) if t not in ids]  # in order of appearance
        base = _BASE + len(ids)
        ids.update(zip(new, map(chr, range(base, base + len(new))), strict=True))
        return "".join(map(ids.__getitem__, tokens))


_IS_WORD = bytes.maketrans(b"wnp", b"\x01\x01\x00")  # kinds -> 1 for words and numbers


Coded = tuple[list[str], list[str], list[str], list[int]]


def _encode_py(
    tokens: list[str], kinds: str, sentences: list[tuple[int, int]], ids: dict[str, str]
) -> Coded:
    """Per sentence: its tokens coded, those codes sorted, the codes of its words and
    numbers sorted, and how many words and numbers it has. ``ids`` is a :class:`Codes`'
    table (new tokens are added to it). The reference for ``unspin._encode.encode``."""
    doc = Codes(ids)(tokens)
    is_word = kinds.encode("ascii").translate(_IS_WORD)
    sents = [doc[i:j] for i, j in sentences]
    bags = ["".join(sorted(x)) for x in sents]
    # The words alone (no punctuation), sorted: their LCS is the shared multiset.
    word_bags = ["".join(sorted(compress(doc[i:j], is_word[i:j]))) for i, j in sentences]
    words = [is_word.count(1, i, j) for i, j in sentences]
    return sents, bags, word_bags, words


# The C coding when it was built (the same strings, ~2.5x faster), else Python.
encode_sentences: Callable[[list[str], str, list[tuple[int, int]], dict[str, str]], Coded] = (
    compiled("_encode", "encode") or _encode_py
)


class Encoded:
    """An analysis with its sentences encoded once, for every alignment it takes part in."""

    def __init__(self, a: Analysis, codes: Codes) -> None:
        self.a = a
        self.sents, self.bags, self.word_bags, self.words = encode_sentences(
            a.tokens, a.kinds, a.sentences, codes.ids
        )
        self.n_words = sum(self.words)


def _lcs_changes(
    c: str, s: str, c_off: int, s_off: int, c_kinds: str, s_kinds: str
) -> tuple[int, list[Change]]:
    """Matched words and merged change blocks of an LCS alignment of two strings: each
    gap between two runs of equal tokens (the last run ends both strings) is a change."""
    matched = 0
    changes: list[Change] = []
    ci = si = 0  # where the previous equal run ended
    for a, b, size in Indel.editops(c, s).as_matching_blocks():
        if a > ci or b > si:
            changes.append(Change(c_off + ci, c_off + a, s_off + si, s_off + b))
        if size:
            i = c_off + a
            matched += size - c_kinds.count(PUNCT, i, i + size)  # words, not punctuation
        ci, si = a + size, b + size
    return matched, changes


def _clauses(tokens: list[str], lo: int, hi: int) -> list[tuple[int, int]]:
    out = []
    start = lo
    for i in range(lo, hi):
        if tokens[i] in _CLAUSE_MARKS:
            if i > start:
                out.append((start, i))
            start = i + 1
    if hi > start:
        out.append((start, hi))
    return out


def _align_pair(
    copy: Analysis,
    source: Analysis,
    cs: str,
    ss: str,
    ci: int,
    si: int,
    straight: tuple[int, list[Change]],
) -> tuple[int, list[Change]]:
    """Word alignment of copy sentence ``ci`` (encoded ``cs``) with source sentence ``si``
    (encoded ``ss``), given ``straight``: their :func:`_lcs_changes`."""
    c0, c1 = copy.sentences[ci]
    s0, s1 = source.sentences[si]
    best = straight
    cc, sc = _clauses(copy.tokens, c0, c1), _clauses(source.tokens, s0, s1)
    if len(cc) < 2 or len(sc) < 2:
        return best
    # Clause swap: pair clauses greedily by similarity; if they cross, align clause by
    # clause and keep that when it explains more words than the straight alignment.
    cstr = [cs[a - c0 : b - c0] for a, b in cc]
    sstr = [ss[a - s0 : b - s0] for a, b in sc]
    sims = process.cdist(cstr, sstr, scorer=Indel.normalized_similarity).ravel().tolist()
    width = len(sstr)
    used_c: set[int] = set()
    used_s: set[int] = set()
    pairs: list[tuple[int, int]] = []
    # Most similar first, ties in row-major order (a stable sort: the same order on every
    # machine, and the one the C version follows).
    for k in sorted(range(len(sims)), key=sims.__getitem__, reverse=True):
        if sims[k] < _MIN_CLAUSE_SIM:
            break
        i, j = divmod(k, width)
        if i in used_c or j in used_s:
            continue
        used_c.add(i)
        used_s.add(j)
        pairs.append((i, j))
    pairs.sort()
    if all(pairs[k][1] < pairs[k + 1][1] for k in range(len(pairs) - 1)):
        return best  # in order: the straight alignment already handles it
    matched = 0
    changes: list[Change] = []
    paired = dict(pairs)
    for i, (a, b) in enumerate(cc):
        to = paired.get(i)
        if to is None:
            changes.append(Change(a, b, s0, s0))  # a clause with no counterpart
            continue
        m, ch = _lcs_changes(cstr[i], sstr[to], a, sc[to][0], copy.kinds, source.kinds)
        matched += m
        changes.extend(ch)
    if matched > best[0]:
        return matched, changes
    return best


def sentence_similarities(copy: Encoded, source: Encoded) -> np.ndarray:
    """Copy x source sentence similarity (float32): the mean of the Indel similarities of
    the sentences (order-aware) and of their sorted tokens (order-free, so that a
    sentence with its clauses swapped still finds its source)."""
    lcs = process.cdist(copy.sents, source.sents, scorer=Indel.normalized_similarity)
    bag = process.cdist(copy.bags, source.bags, scorer=Indel.normalized_similarity)
    sim: np.ndarray = (lcs + bag) / 2
    return sim


Rows = tuple[list[SentencePair], int, int, int]


def _align_rows_py(
    copy: Encoded,
    source: Encoded,
    sim: np.ndarray,
) -> Rows:
    """The sentence pairs of :func:`align_encoded` given ``sim``, the copy x source
    sentence similarity matrix; with the copy words in aligned sentences, the words
    matched, and the words of the source sentences reused. The reference for
    ``unspin._align.align_rows``, which computes the similarities it needs itself (the
    same values: at most the sorted-token similarity, it skips the rest)."""
    c, s = copy.a, source.a
    # The two most similar source sentences of every copy sentence. Ties (a sentence
    # repeated with other words, "I did my bit. I played my part.") go to the sentence
    # nearest the copy sentence's place in its text (spinners mostly keep the order),
    # then the first: the same choice on every machine, and the one the C version makes.
    n_c, n_s = sim.shape
    dist = np.abs(np.arange(n_s)[None, :] * n_c - np.arange(n_c)[:, None] * n_s)
    tops = np.lexsort((dist, -sim), axis=1)[:, :2]
    top_sims = np.take_along_axis(sim, tops, axis=1).tolist()
    pairs: list[SentencePair] = []
    reused: set[int] = set()
    aligned_copy = matched_total = 0
    for ci, (cw, row_tops, row_sims) in enumerate(
        zip(copy.words, tops.tolist(), top_sims, strict=True)
    ):
        if cw == 0:
            continue
        best: SentencePair | None = None
        for si, si_sim in zip(row_tops, row_sims, strict=True):
            if si_sim < MIN_SENTENCE_MATCH / 2:
                break
            sw = source.words[si]
            shared = LCSseq.similarity(copy.word_bags[ci], source.word_bags[si])
            bound = 2 * shared / (cw + sw)
            if bound < MIN_SENTENCE_MATCH or (best is not None and bound <= best.match):
                continue
            cs, ss = copy.sents[ci], source.sents[si]
            c0, s0 = c.sentences[ci][0], s.sentences[si][0]
            matched, changes = _lcs_changes(cs, ss, c0, s0, c.kinds, s.kinds)
            if matched < shared:  # clauses may be swapped
                matched, changes = _align_pair(c, s, cs, ss, ci, si, (matched, changes))
            dice = 2 * matched / (cw + sw)
            if dice >= MIN_SENTENCE_MATCH and (best is None or dice > best.match):
                best = SentencePair(ci, si, dice, matched, tuple(changes))
        if best is not None:
            pairs.append(best)
            reused.add(best.source_sentence)
            aligned_copy += cw
            matched_total += best.matched_words
    return pairs, aligned_copy, matched_total, sum(source.words[k] for k in reused)


_ALIGN_ROWS = compiled("_align", "align_rows")
_MARKS = "".join(sorted(_CLAUSE_MARKS))


def align(copy: Analysis, source: Analysis) -> Alignment:
    """Align ``copy`` with ``source``; sentences may be reordered, dropped or added."""
    codes = Codes()
    return align_encoded(Encoded(copy, codes), Encoded(source, codes))


def align_encoded(copy: Encoded, source: Encoded) -> Alignment:
    """:func:`align` of two documents encoded with one :class:`Codes`.

    Each copy sentence tries its two most similar source sentences (order-aware and
    order-free similarity: LCS of the sentences and of their sorted tokens, so clause
    swaps still find their sentence). The words a pair can match are at most the words
    the two sentences share as multisets: a try is skipped when even that cannot win,
    and the clause-by-clause alignment is not tried when the straight one already
    matches them all."""
    c, s = copy.a, source.a
    if not c.sentences or not s.sentences:
        return Alignment((), copy.n_words, source.n_words, 0, 0, 0)
    if _ALIGN_ROWS is not None:  # the C loop, which computes only the similarities it needs
        rows: Rows = _ALIGN_ROWS(
            copy, source, Change, SentencePair, MIN_SENTENCE_MATCH, _MIN_CLAUSE_SIM, _MARKS
        )
    else:
        rows = _align_rows_py(copy, source, sentence_similarities(copy, source))
    pairs, aligned_copy, matched_total, reused = rows
    return Alignment(
        pairs=tuple(pairs),
        copy_words=copy.n_words,
        source_words=source.n_words,
        aligned_copy_words=aligned_copy,
        reused_source_words=reused,
        matched_words=matched_total,
    )
