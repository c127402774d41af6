"""Steps 4 and 5, verified: alignment decides who copies whom; the root is the least
spun member."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, compress
from typing import Any

import numpy as np

from unspin.align import _BASE, Alignment, Codes, Encoded, align_encoded
from unspin.cluster.candidates import UnionFind
from unspin.cluster.options import ClusterOptions
from unspin.cluster.records import CandidateDoc, Cluster, archive_at, member_of, parse_date
from unspin.cluster.triage import group_component
from unspin.report import Source
from unspin.segment import NUMBER, PUNCT, WORD, Analysis
from unspin.trace import TRACE_THRESHOLD, trace_analysis

# Root choice compares a member's words with at most this many other members.
_CENTRALITY_SAMPLE = 64
# Two documents whose sentence counts multiply to more than this are not aligned (the
# sentence similarity matrix would not fit in memory); they count as not verified.
_MAX_ALIGN_CELLS = 25_000_000


def _words(a: Analysis) -> Counter[str]:
    return Counter(
        a.tokens[k] for i, j in a.sentences for k in range(i, j) if a.kinds[k] in (WORD, NUMBER)
    )


def _coverage(i: int, words: Callable[[int], Counter[str]], n: int) -> float:
    """The mean number of words (counted with repeats) that document ``i`` of ``n``
    shares with each other document of the first :data:`_CENTRALITY_SAMPLE`. A source
    shares with each spin every word the spin kept; two spins share only the words both
    kept (and any synonym both happened to pick), so the source ranks first."""
    mine = words(i)
    shared = [sum((mine & words(o)).values()) for o in range(min(n, _CENTRALITY_SAMPLE)) if o != i]
    return sum(shared) / len(shared) if shared else 0.0


@functools.cache
def word_zipf() -> Callable[[str], float] | None:
    """wordfreq's Zipf frequency of an English word (cached: a crawl repeats its
    vocabulary), or None without wordfreq."""
    try:
        from wordfreq import get_frequency_dict, zipf_frequency
    except ImportError:
        return None
    freqs = get_frequency_dict("en", "best")  # the table zipf_frequency looks words up in
    by_freq: dict[float | None, float] = {}

    def zipf(word: str) -> float:  # callers keep the values they ask for (_memo)
        if not (word.isascii() and word.isalpha() and word.islower()):
            return float(zipf_frequency(word, "en"))
        # A word of lowercase ASCII letters is one wordfreq token, itself: its Zipf value
        # is a function of its table frequency (a few hundred values; checked on every
        # such word of the table), so wordfreq is asked once per frequency, not per word.
        f = freqs.get(word)
        z = by_freq.get(f)
        if z is None:
            z = by_freq[f] = float(zipf_frequency(word, "en"))
        return z

    return zipf


_WORDS_ONLY = bytes.maketrans(f"{WORD}{NUMBER}{PUNCT}".encode(), b"\x01\x00\x00")


def _plainness(a: Analysis, zipf: Callable[[str], float]) -> float:
    """Mean Zipf frequency of the words: a spinner's synonyms are rarer than the words
    they replace ("animate being" for "giant"), so the least spun text scores highest."""
    is_word = a.kinds.encode("ascii").translate(_WORDS_ONLY)
    words = list(chain.from_iterable(compress(a.tokens[i:j], is_word[i:j]) for i, j in a.sentences))
    return sum(map(zipf, words)) / len(words) if words else 0.0


def _plainness_all(
    en: Sequence[Encoded], codes: Codes, zipf: Callable[[str], float]
) -> list[float]:
    """:func:`_plainness` of each of ``en`` (coded with ``codes``), the same numbers: the
    Zipf value of each word is looked up once per component, by its code, and each
    document's words gathered by their codes (a Python lookup per word cost 0.08 ms per
    document)."""
    tokens = list(codes.ids)  # by code: a token's code is its place in the table
    memo = _memo(zipf)
    values = list(map(memo.get, tokens))
    for k, v in enumerate(values):
        if v is None:
            if len(memo) >= 1 << 18:
                memo.clear()
            values[k] = memo[tokens[k]] = zipf(tokens[k])
    table = np.array(values)
    out = []
    for e in en:
        a = e.a
        coded = "".join(e.sents).encode("utf-32-le", "surrogatepass")
        kinds = "".join([a.kinds[i:j] for i, j in a.sentences]).encode("ascii")
        idx = np.frombuffer(coded, dtype=np.uint32) - _BASE
        values = table[idx[np.frombuffer(kinds, dtype=np.uint8) == _WORD_BYTE]].tolist()
        # Summed in order, as _plainness sums: the same float.
        out.append(sum(values) / len(values) if values else 0.0)
    return out


_WORD_BYTE = ord(WORD)


@functools.lru_cache(maxsize=4)
def _memo(zipf: Callable[[str], float]) -> dict[str, float]:
    """Zipf values already looked up with ``zipf`` (a dict is cheaper to ask than its
    own cache, a component's whole vocabulary at a time)."""
    return {}


def _too_big(a: Analysis, b: Analysis) -> bool:
    return len(a.sentences) * len(b.sentences) > _MAX_ALIGN_CELLS


def _verify(a: Encoded, b: Encoded, threshold: float) -> tuple[Alignment, bool] | None:
    if _too_big(a.a, b.a):
        return None
    ab = align_encoded(a, b)
    if ab.score >= threshold:
        return ab, True
    ba = align_encoded(b, a)
    if ba.score >= threshold:
        return ba, False
    return None


def verify(
    a: Analysis, b: Analysis, threshold: float = TRACE_THRESHOLD
) -> tuple[Alignment, bool] | None:
    """Whether ``a`` and ``b`` are copies of one another: ``a`` aligned with ``b`` (or,
    failing that, ``b`` with ``a``) scores at least ``threshold``. Returns the passing
    alignment and whether ``a`` was the copy side, or None."""
    codes = Codes()
    return _verify(Encoded(a, codes), Encoded(b, codes), threshold)


def verify_component(
    docs: Sequence[CandidateDoc],
    edges: Sequence[tuple[int, int]],
    options: ClusterOptions | None = None,
) -> list[Cluster]:
    """Clusters among ``docs`` (ordered by key) linked by candidate ``edges`` (local
    indices, most similar first)."""
    opts = options or ClusterOptions()
    n = len(docs)
    codes = Codes()
    an = [d.analysis() for d in docs]
    en = [Encoded(a, codes) for a in an]
    dates = [parse_date(d.date) for d in docs]
    plains: list[float] = []  # only needed where a date is missing
    words: dict[int, Counter[str]] = {}
    covers: dict[int, float] = {}

    def plainness_of(zipf: Callable[[str], float]) -> Callable[[int], float]:
        def plain(i: int) -> float:
            if not plains:
                plains.extend(_plainness_all(en, codes, zipf))
            return -plains[i]

        return plain

    def words_of(i: int) -> Counter[str]:
        if i not in words:
            words[i] = _words(an[i])
        return words[i]

    def cover(i: int) -> float:
        # Only needed to break ties: computed for the tied rows alone.
        if i not in covers:
            covers[i] = _coverage(i, words_of, n)
        return -covers[i]

    def best(rows: list[int], first: Callable[[int], Any]) -> int:
        """The row of ``rows`` that comes first by ``first``, ties by coverage, then by
        input order."""
        keys = [first(i) for i in rows]
        low = min(keys)
        tied = [i for i, k in zip(rows, keys, strict=True) if k == low]
        if len(tied) == 1:
            return tied[0]
        return min(tied, key=lambda i: (cover(i), docs[i].key))

    def root_of(rows: Iterable[int]) -> tuple[int, str]:
        """The best root among ``rows``, and what decided: dates when every one of
        ``rows`` has one (a missing date could be the earliest), else word frequency,
        else coverage."""
        rows = list(rows)
        if all(dates[i] is not None for i in rows):
            return best(rows, lambda i: dates[i]), "date"
        # wordfreq loads (~0.3 s, once per process) only when a component has an
        # undated member: a crawl with dates never pays for it.
        zipf = word_zipf() if opts.frequency else None
        if zipf is not None:
            return best(rows, plainness_of(zipf)), "frequency"
        return min(rows, key=lambda i: (cover(i), docs[i].key)), "coverage"

    uf = UnionFind(n)
    cache: dict[tuple[int, int], Alignment] = {}  # (copy, source) -> alignment

    def accept(i: int, j: int) -> bool:
        v = _verify(en[i], en[j], opts.threshold)
        if v is None:
            return False
        aln, forward = v
        cache[(i, j) if forward else (j, i)] = aln
        return True

    # Every document is first tried against the component's most likely root (in any
    # order: each try stands alone).
    top, _ = root_of(range(n))
    for m in range(n):
        if m != top and accept(m, top):
            uf.union(m, top)
    for i, j in edges:
        if uf.find(i) != uf.find(j) and accept(i, j):
            uf.union(i, j)

    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(uf.find(i), []).append(i)
    out = []
    for g in groups.values():
        if len(g) < 2:
            continue
        root, root_by = root_of(g)
        members = [member_of(docs[root])]
        for m in sorted((i for i in g if i != root), key=lambda i: docs[i].key):
            aln = cache.get((m, root))
            if aln is None:
                aln = align_encoded(en[m], en[root]) if not _too_big(an[m], an[root]) else None
            members.append(member_of(docs[m], an[m], docs[root], an[root], aln))
        sources: tuple[Source, ...] | None = None
        if opts.archive:
            rep = trace_analysis(docs[root].id, an[root], archive_at(opts.archive))
            sources = tuple(rep.sources)
        out.append(Cluster(tuple(members), root_by, sources))
    return out


def cluster_component(
    docs: Sequence[CandidateDoc],
    edges: Sequence[tuple[int, int]],
    options: ClusterOptions | None = None,
) -> list[Cluster]:
    """:func:`verify_component`, or :func:`group_component` when ``options.verify`` is
    False."""
    opts = options or ClusterOptions()
    return verify_component(docs, edges, opts) if opts.verify else group_component(docs, opts)
