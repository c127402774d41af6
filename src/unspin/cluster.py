"""Map spinning campaigns across a crawl: every group of spun variants of one text, its
root, and who copies whom per site.

The pipeline is a chain of plain functions so that the local runner below and the Ray
runner (:mod:`unspin.cluster_ray`) run the same code and give the same clusters:

1. :func:`sketch` -- one document: the MinHash signature of its immutable skeleton
   (:func:`unspin.fingerprint.skeleton_hashes`, one pass in C) and its LSH band keys, site and
   date.
2. :func:`candidate_pairs` -- documents sharing a band key, kept when their estimated
   Jaccard is at least ``min_jaccard``. Buckets with more than ``max_bucket`` members are
   skipped (and counted): a key shared by that many documents is boilerplate, and true
   copies also share other bands.
3. :func:`plan` -- candidate pairs grouped into connected components (union-find).
4. :func:`verify_component` -- the documents of one component are analysed with their
   stray lines (:func:`unspin.clean.find_strays`) left out, as trace does. Each is first
   aligned with the component's most likely root, then the remaining candidate pairs are
   aligned until their documents are connected. A pair is a copy by the rule trace uses:
   :attr:`Alignment.score <unspin.align.Alignment.score>` at least ``threshold``
   (:data:`unspin.trace.TRACE_THRESHOLD`) in either direction. Verified pairs are joined
   by union-find; each group of two or more documents is a :class:`Cluster`.
5. Root: the least spun member: the earliest when every member has a date; else the
   one whose words are the most common English (wordfreq's unigram model, if installed:
   a spinner's synonyms are rarer than the words they replace); else the one sharing
   the most words with the other members (a source shares every word each of its spins
   kept); ties by input order. Every other member is aligned with the root and its substitutions
   listed (offsets into that member's text).
6. :func:`site_stats` -- per site (URL host): pages, clusters, roots, spun copies, their
   share, and whose pages they copy.

Stray lines (:mod:`unspin.clean`) are not looked for when sketching: only candidate
documents are cleaned, at verification (a glued headline adds a few shingles to a
sketch, not enough to move its estimated Jaccard much).

Triage (``ClusterOptions(verify=False)``, ``unspin cluster --no-verify``): steps 4 and 5
are replaced by :func:`group_component`. Candidate pairs are kept at a higher estimated
Jaccard (:data:`TRIAGE_MIN_JACCARD`) and every connected component is one cluster, with
no alignment: members carry no scores and no substitutions, and each record says
``"verified": false``. Root: the earliest member when every member has a date; else the
one whose words (a regex pass over the whole text, stray lines included) are the most
common English (wordfreq); else the first in input order. Texts are read back only for
components that need them (undated members, or ``archive``). Sketching still runs in the
worker processes; grouping is light and runs in the main process.

Documents are numbered by input position (``key``); a repeated id keeps its first
document and the others are reported as skipped.
"""

from __future__ import annotations

import functools
import gc
import heapq
import json
import multiprocessing as mp
import os
import re
import signal
import tempfile
import threading
import time
from array import array
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import resources
from itertools import accumulate, chain, compress, repeat
from operator import itemgetter
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

import numpy as np
from xxhash import xxh64_intdigest

from unspin.align import Alignment, Codes, Encoded, align_encoded
from unspin.archive import Archive, batched
from unspin.clean import find_strays
from unspin.document import Document
from unspin.fingerprint import SCHEME, FingerprintParams, skeleton_hashes
from unspin.lexicon import word_frequencies
from unspin.readers import ReadOptions, ReadProblem, read_inputs
from unspin.report import Source
from unspin.segment import NUMBER, PUNCT, WORD, Analysis, analyze
from unspin.trace import TRACE_THRESHOLD, VerifiedSource, substitution_spans, trace_analysis

# Candidate pairs need at least this estimated Jaccard over immutable shingles. Spun
# copies of news articles sit at 0.56 or more (1st percentile, 70% of words spun, clauses
# swapped, sentences dropped), two spins of one text at 0.4 or more; unrelated articles
# that collide in a band sit around 0.1 (bench/cluster_bench.py).
DEFAULT_MIN_JACCARD = 0.25
# Triage (no verification): a candidate pair is a copy when its estimated Jaccard is at
# least this. Chosen on a bench crawl built with another seed than the one the bench
# reports (`python bench/cluster_bench.py --data ../shared/data --seed 7 --sweep-jaccard`):
# ARI 1.000 from 0.300 to 0.475 there (below, unrelated same-topic articles merge; above,
# heavily spun copies fall out); 0.375 is near the middle, on the recall side (spinning
# heavier than the bench's lowers the Jaccard of true copies).
TRIAGE_MIN_JACCARD = 0.375
# Band buckets larger than this are skipped: boilerplate shared by many pages.
DEFAULT_MAX_BUCKET = 200
# Root choice compares a member's words with at most this many other members.
_CENTRALITY_SAMPLE = 64
# Two documents whose sentence counts multiply to more than this are not aligned (the
# sentence similarity matrix would not fit in memory); they count as not verified.
_MAX_ALIGN_CELLS = 25_000_000
# Document keys: input number in the high bits, record number in the low bits.
KEY_SHIFT = 40

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class ClusterOptions:
    threshold: float = TRACE_THRESHOLD
    # None: DEFAULT_MIN_JACCARD, or TRIAGE_MIN_JACCARD without verification.
    min_jaccard: float | None = None
    max_bucket: int = DEFAULT_MAX_BUCKET
    params: FingerprintParams = field(default_factory=FingerprintParams)
    archive: str | None = None  # trace each cluster's root to this archive
    # Undated clusters: the root is the member whose words are the most common English
    # (wordfreq's unigram model, installed with the check extra), if installed.
    frequency: bool = True
    workers: int | None = None  # local runner: processes (default: one per core)
    batch_size: int = 64  # documents per task
    # False: triage, candidate components are the clusters (no alignment, no substitutions).
    verify: bool = True

    @property
    def jaccard_bar(self) -> float:
        """The minimum estimated Jaccard of a candidate pair in this mode."""
        if self.min_jaccard is not None:
            return self.min_jaccard
        return DEFAULT_MIN_JACCARD if self.verify else TRIAGE_MIN_JACCARD


# -- 1. sketch -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sketch:
    """What clustering keeps of a document until candidates are known."""

    key: int  # input position, see KEY_SHIFT
    id: str
    url: str | None
    site: str | None
    date: str | None
    signature: np.ndarray  # uint32[num_perm]
    band_keys: np.ndarray  # int64[bands]; empty when the text has nothing to sketch


def site_of(url: str | None) -> str | None:
    """The host of ``url``, lowercased, without a leading ``www.``."""
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def sketch(doc: Document, key: int = 0, params: FingerprintParams | None = None) -> Sketch:
    """Sketch one document: MinHash of its skeleton's shingles, and LSH band keys."""
    return sketch_many([(key, doc)], params or FingerprintParams())[0]


_FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)  # MurmurHash3's 32-bit finalizer


Permutations = tuple[np.ndarray, np.ndarray, np.ndarray]


# datasketch's permutations for the default parameters, saved from it (a test holds them
# equal): a clustering run then never imports datasketch, whose package imports scipy
# (~0.3 s of every run's start, in the main process and in each Ray worker).
_SHIPPED_PERMUTATIONS = {(128, 1, "affine32"): "affine32_perm128_seed1.npz"}


@functools.cache
def minhash_permutations(params: FingerprintParams) -> Permutations:
    """The MinHash permutations ``a``, ``b`` of :func:`unspin.fingerprint.signature_of`
    (datasketch, scheme affine32) and the signature of an empty set."""
    name = _SHIPPED_PERMUTATIONS.get((params.num_perm, params.seed, SCHEME))
    if name is not None:
        with (resources.files("unspin") / "sketch" / name).open("rb") as f:
            z = np.load(f)
            return z["a"], z["b"], z["empty"]
    from datasketch import MinHash

    m = MinHash(num_perm=params.num_perm, seed=params.seed, scheme=SCHEME)
    a, b = m.permutations
    return np.asarray(a), np.asarray(b), np.asarray(m.digest(), dtype=np.uint32)


def sketch_columns(
    texts: Sequence[str], params: FingerprintParams
) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures (uint32, one row per text) and LSH band keys (int64, a row of
    zeros when the text has nothing to sketch) of ``texts``, with the same signatures as
    :func:`unspin.fingerprint.signature_of`, computed for the whole batch at once
    (datasketch's affine32 scheme: xxh32 of each shingle, MurmurHash3's finalizer, one
    affine map per permutation, minimum per document)."""
    a, b, empty = minhash_permutations(params)
    parts = [skeleton_hashes(text, params.ngram) for text in texts]
    ends = list(accumulate(map(len, parts)))
    starts = [0, *ends[:-1]]
    sigs = np.tile(empty, (len(texts), 1))
    bands = np.zeros((len(texts), params.bands), dtype=np.int64)
    full = [i for i in range(len(texts)) if ends[i] > starts[i]]
    if full:
        s1, m1, s2, m2, s3 = _FMIX32
        hv = np.concatenate(parts)
        hv ^= hv >> s1
        hv *= np.uint32(m1)
        hv ^= hv >> s2
        hv *= np.uint32(m2)
        hv ^= hv >> s3
        phv = a[:, None] * hv[None, :]  # (num_perm, shingles): rows reduce contiguously
        phv += b[:, None]
        sigs[full] = np.minimum.reduceat(phv, [starts[i] for i in full], axis=1).T
        bands[full] = _band_keys(sigs[full], params)
    return sigs, bands


def _band_keys(signatures: np.ndarray, params: FingerprintParams) -> np.ndarray:
    """:func:`unspin.fingerprint.band_keys` of each row of ``signatures``, one band at a
    time for all rows (xxh64 of the band's bytes, seeded with the band number, shifted
    to a signed 64-bit integer: ``h - 2**63`` is ``h`` with its top bit flipped)."""
    r, n = params.rows, len(signatures)
    width = 4 * r
    keys = np.empty((n, params.bands), dtype=np.uint64)
    for band in range(params.bands):
        data = np.ascontiguousarray(signatures[:, band * r : (band + 1) * r], np.uint32).tobytes()
        chunks = [data[k : k + width] for k in range(0, len(data), width)]
        keys[:, band] = np.fromiter(
            map(xxh64_intdigest, chunks, repeat(band)), dtype=np.uint64, count=n
        )
    keys ^= np.uint64(1 << 63)
    return keys.view(np.int64)


def sketch_many(batch: Sequence[tuple[int, Document]], params: FingerprintParams) -> list[Sketch]:
    """:func:`sketch` of each ``(key, document)`` (:func:`sketch_columns`)."""
    sigs, bands = sketch_columns([doc.text for _, doc in batch], params)
    has = np.asarray(bands.any(axis=1), dtype=bool)
    return [
        Sketch(
            key=key,
            id=doc.id,
            url=doc.url,
            site=site_of(doc.url),
            date=doc.date,
            signature=sigs[i],
            band_keys=bands[i] if has[i] else np.zeros(0, dtype=np.int64),
        )
        for i, (key, doc) in enumerate(batch)
    ]


@dataclass(frozen=True)
class Skipped:
    key: int
    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


class SketchTable:
    """Sketches of a whole crawl as columns, ordered by key; collects them in any order.

    :meth:`finish` sorts by key and drops every document whose id an earlier document
    already has (returned as :class:`Skipped`), so the runners agree whatever order their
    sketches arrive in.
    """

    def __init__(self, params: FingerprintParams) -> None:
        self.params = params
        # Collected columns (arrival order); signatures and band keys as raw bytes.
        self._keys: list[int] = []
        self._ids: list[str] = []
        self._urls: list[str | None] = []
        self._sites: list[str | None] = []
        self._dates: list[str | None] = []
        self._origins: list[str] = []
        self._sigs = bytearray()
        self._bands = bytearray()
        self._shared: dict[str, str] = {}  # one object per distinct site or date
        # Finished columns (key order).
        self.keys = np.zeros(0, dtype=np.int64)
        self.ids: list[str] = []
        self.urls: list[str | None] = []
        self.sites: list[str | None] = []
        self.dates: list[str | None] = []
        self.signatures = np.zeros((0, params.num_perm), dtype=np.uint32)
        self.band_keys = np.zeros((0, params.bands), dtype=np.int64)
        self.has_bands = np.zeros(0, dtype=bool)

    def add_columns(
        self,
        docs: Sequence[tuple[int, str, str | None, str | None]],
        signatures: np.ndarray,
        bands: np.ndarray,
        origins: Sequence[str] | None = None,
    ) -> None:
        """Add documents ``(key, id, url, date)`` with their :func:`sketch_columns`
        (and where each was read, for the messages about repeated ids)."""
        shared = self._shared
        for key, doc_id, url, date in docs:
            site = site_of(url)
            self._keys.append(key)
            self._ids.append(doc_id)
            self._urls.append(url)
            self._sites.append(shared.setdefault(site, site) if site else None)
            self._dates.append(shared.setdefault(date, date) if date else None)
        self._origins.extend(origins if origins is not None else [""] * len(docs))
        self._sigs += np.ascontiguousarray(signatures, dtype=np.uint32).tobytes()
        self._bands += np.ascontiguousarray(bands, dtype=np.int64).tobytes()

    def finish(self) -> list[Skipped]:
        p = self.params
        order = np.argsort(np.array(self._keys, dtype=np.int64), kind="stable")
        first: dict[str, str] = {}
        keep: list[int] = []
        skipped: list[Skipped] = []
        for i in order.tolist():
            doc_id, origin = self._ids[i], self._origins[i]
            if doc_id in first:
                reason = f"duplicate id {doc_id!r} (first at {first[doc_id]})"
                skipped.append(Skipped(self._keys[i], origin or doc_id, reason))
                continue
            first[doc_id] = origin or doc_id
            keep.append(i)
        del first
        idx = np.array(keep, dtype=np.int64)
        self.keys = np.array(self._keys, dtype=np.int64)[idx]
        self.ids = [self._ids[i] for i in keep]
        self.urls = [self._urls[i] for i in keep]
        self.sites = [self._sites[i] for i in keep]
        self.dates = [self._dates[i] for i in keep]
        self.signatures = np.frombuffer(self._sigs, dtype=np.uint32).reshape(-1, p.num_perm)[idx]
        self.band_keys = np.frombuffer(self._bands, dtype=np.int64).reshape(-1, p.bands)[idx]
        self.has_bands = np.asarray(self.band_keys.any(axis=1), dtype=bool)
        self._keys, self._ids, self._urls, self._sites, self._dates = [], [], [], [], []
        self._origins = []
        self._sigs, self._bands = bytearray(), bytearray()
        return skipped

    def __len__(self) -> int:
        return len(self.ids)


# -- 2. candidates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidates:
    pairs: np.ndarray  # int64 (m, 2): row indices into the table, first < second
    jaccard: np.ndarray  # float64 (m,): estimated Jaccard of each pair
    colliding_pairs: int  # distinct pairs sharing a band, before the Jaccard filter
    skipped_buckets: int  # buckets over max_bucket
    largest_bucket: int


def candidate_pairs(
    band_keys: np.ndarray,
    signatures: np.ndarray,
    has_bands: np.ndarray | None = None,
    *,
    min_jaccard: float = DEFAULT_MIN_JACCARD,
    max_bucket: int = DEFAULT_MAX_BUCKET,
) -> Candidates:
    """Pairs of rows that share a band key and whose estimated Jaccard is high enough.

    One band at a time (memory: a few arrays of ``n``), codes of pairs merged at the end."""
    n, n_bands = band_keys.shape
    empty = Candidates(np.zeros((0, 2), dtype=np.int64), np.zeros(0), 0, 0, 0)
    rows_all = np.flatnonzero(has_bands) if has_bands is not None else np.arange(n)
    if len(rows_all) < 2:
        return empty
    skipped = largest = 0
    codes: list[np.ndarray] = []
    for band in range(n_bands):
        vals = band_keys[rows_all, band]
        order = np.argsort(vals, kind="stable")  # stable: rows ascending inside a bucket
        vals, rows = vals[order], rows_all[order]
        new = np.ones(len(rows), dtype=bool)
        new[1:] = vals[1:] != vals[:-1]
        starts = np.flatnonzero(new)
        sizes = np.diff(np.append(starts, len(rows)))
        largest = max(largest, int(sizes.max()))
        skipped += int((sizes > max_bucket).sum())
        for k in np.unique(sizes[(sizes >= 2) & (sizes <= max_bucket)]):
            i, j = np.triu_indices(int(k), 1)
            base = starts[sizes == k][:, None]
            a, b = rows[base + i[None, :]].ravel(), rows[base + j[None, :]].ravel()
            codes.append(a.astype(np.int64) * n + b)  # a < b
        if len(codes) > 64:
            codes = [np.unique(np.concatenate(codes))]
    if not codes:
        return Candidates(empty.pairs, empty.jaccard, 0, skipped, largest)
    code = np.unique(np.concatenate(codes))
    pairs = np.stack([code // n, code % n], axis=1)
    jac = np.empty(len(pairs))
    for s in range(0, len(pairs), 65536):
        p = pairs[s : s + 65536]
        jac[s : s + 65536] = (signatures[p[:, 0]] == signatures[p[:, 1]]).mean(axis=1)
    keep_p = jac >= min_jaccard
    return Candidates(pairs[keep_p], jac[keep_p], len(pairs), skipped, largest)


# -- 3. components -------------------------------------------------------------------------------


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        p = self.parent
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        return True


@dataclass(frozen=True)
class Component:
    """Rows of the table connected by candidate pairs, and the pairs (local indices into
    ``rows``, most similar first)."""

    rows: tuple[int, ...]
    edges: tuple[tuple[int, int], ...]


def plan(cands: Candidates, n: int) -> list[Component]:
    """Connected components of the candidate graph, ordered by their first row."""
    uf = UnionFind(n)
    for a, b in cands.pairs.tolist():
        uf.union(a, b)
    members: dict[int, list[int]] = {}
    for r in sorted({int(x) for x in cands.pairs.reshape(-1)}):
        members.setdefault(uf.find(r), []).append(r)
    edges: dict[int, list[tuple[float, int, int]]] = {}
    for (a, b), j in zip(cands.pairs.tolist(), cands.jaccard.tolist(), strict=True):
        edges.setdefault(uf.find(a), []).append((-j, a, b))
    out = []
    for root in sorted(members, key=lambda r: members[r][0]):
        rows = members[root]
        local = {r: i for i, r in enumerate(rows)}
        es = sorted(edges[root])
        out.append(Component(tuple(rows), tuple((local[a], local[b]) for _, a, b in es)))
    return out


# -- 4./5. verification, root, substitutions ----------------------------------------------------


@dataclass(frozen=True)
class CandidateDoc:
    """A document of a component, with its text, as verification needs it."""

    key: int
    id: str
    text: str
    url: str | None = None
    site: str | None = None
    date: str | None = None
    title: str | None = None  # the page's own title, for stray lines (repeated headline)

    def analysis(self) -> Analysis:
        """The analysis of the text with its stray lines left out."""
        strays = [(x.start, x.end) for x in find_strays(self.text, self.title)]
        return analyze(self.text).without(strays)


@dataclass(frozen=True)
class Member:
    id: str
    key: int
    url: str | None
    site: str | None
    date: str | None
    # Against the root (None for the root itself): Alignment.score, coverage, reused.
    score: float | None = None
    coverage: float | None = None
    reused: float | None = None
    substitutions: tuple[tuple[int, int, str, str], ...] = ()  # start, end, text, original

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "site": self.site,
            "date": self.date,
            "score": self.score,
            "coverage": self.coverage,
            "reused": self.reused,
            "substitutions": [
                {"start": s, "end": e, "text": t, "original": o}
                for s, e, t, o in self.substitutions
            ],
        }


@dataclass(frozen=True)
class Cluster:
    """Spun variants of one text. ``members`` starts with the root, then input order."""

    members: tuple[Member, ...]
    root_by: str  # "date", "frequency", "coverage" or (triage) "first"
    sources: tuple[Source, ...] | None = None  # the root traced to an archive, if given
    verified: bool = True  # False: triage, members grouped without alignment

    @property
    def root(self) -> Member:
        return self.members[0]

    def to_dict(self, cluster_id: int) -> dict[str, Any]:
        root = self.root
        d: dict[str, Any] = {
            "cluster": cluster_id,
            "size": len(self.members),
            "root": root.id,
            "members": [m.id for m in self.members],
            "root_by": self.root_by,
            "verified": self.verified,
            "root_url": root.url,
            "root_site": root.site,
            "root_date": root.date,
            "sites": sorted({m.site for m in self.members if m.site}),
            "variants": [m.to_dict() for m in self.members[1:]],
        }
        if self.sources is not None:
            d["sources"] = [asdict(s) for s in self.sources]
        return d


def parse_date(value: str | None) -> datetime | None:
    """An ISO date or date-time as a naive UTC datetime; None if absent or unparseable."""
    if not value:
        return None
    v = value.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    try:
        d = datetime.fromisoformat(v)
    except ValueError:
        return None
    if d.tzinfo is not None:
        d = d.astimezone(UTC).replace(tzinfo=None)
    return d


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
def _zipf() -> Callable[[str], float] | None:
    """wordfreq's Zipf frequency of an English word (cached: a crawl repeats its
    vocabulary), or None without wordfreq."""
    try:
        from wordfreq import get_frequency_dict, zipf_frequency
    except ImportError:
        return None
    freqs = get_frequency_dict("en", "best")  # the table zipf_frequency looks words up in
    by_freq: dict[float | None, float] = {}

    @functools.lru_cache(maxsize=1 << 18)
    def zipf(word: str) -> float:
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


_ARCHIVES: dict[str, Archive] = {}


def _archive(path: str) -> Archive:
    """One open archive per process and path (workers open their own)."""
    if path not in _ARCHIVES:
        _ARCHIVES[path] = Archive(path)
    return _ARCHIVES[path]


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
    zipf = _zipf() if opts.frequency else None
    plains: list[float] = []  # only needed where a date is missing
    words: dict[int, Counter[str]] = {}
    covers: dict[int, float] = {}

    def plain(i: int) -> float:
        if zipf is not None and not plains:
            plains.extend(_plainness(a, zipf) for a in an)
        return -plains[i]

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
        if zipf is not None:
            return best(rows, plain), "frequency"
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
        members = [_member(docs[root])]
        for m in sorted((i for i in g if i != root), key=lambda i: docs[i].key):
            aln = cache.get((m, root))
            if aln is None:
                aln = align_encoded(en[m], en[root]) if not _too_big(an[m], an[root]) else None
            members.append(_member(docs[m], an[m], docs[root], an[root], aln))
        sources: tuple[Source, ...] | None = None
        if opts.archive:
            rep = trace_analysis(docs[root].id, an[root], _archive(opts.archive))
            sources = tuple(rep.sources)
        out.append(Cluster(tuple(members), root_by, sources))
    return out


def _member(
    d: CandidateDoc,
    a: Analysis | None = None,
    root: CandidateDoc | None = None,
    ra: Analysis | None = None,
    aln: Alignment | None = None,
) -> Member:
    if a is None or root is None or ra is None:
        return Member(d.id, d.key, d.url, d.site, d.date)
    if aln is None:  # too large to align
        return Member(d.id, d.key, d.url, d.site, d.date, 0.0, 0.0, 0.0)
    v = VerifiedSource(root.id, None, root.url, ra, aln)
    subs = substitution_spans(a, v, {p.copy_sentence for p in aln.pairs})
    subs.sort(key=itemgetter(0))  # by start
    return Member(
        d.id,
        d.key,
        d.url,
        d.site,
        d.date,
        round(aln.score, 4),
        round(aln.coverage, 4),
        round(aln.reused, 4),
        tuple(subs),
    )


# -- 4./5. without verification (triage) -------------------------------------------------------

_LETTERS = re.compile(r"[a-z]+")  # on lowercased text: English words


def _plain_text(text: str, freqs: dict[str, float]) -> float:
    """Mean Zipf frequency of the words of ``text`` (ASCII letters, one regex pass, no
    analysis, stray lines included; unknown words 0): a cheap :func:`_plainness`."""
    words = _LETTERS.findall(text.lower())
    if not words:
        return 0.0
    f = np.fromiter(map(freqs.get, words, repeat(1e-9)), dtype=np.float64, count=len(words))
    return float(np.log10(f).mean()) + 9.0


def needs_text(dates: Sequence[str | None], options: ClusterOptions) -> bool:
    """Whether :func:`group_component` needs the texts of a component whose members have
    these dates: to rank undated members by word frequency, or to trace the root."""
    if options.archive:
        return True
    return options.frequency and not all(parse_date(d) is not None for d in dates)


def plainness(text: str) -> float | None:
    """What :func:`group_component` ranks undated members by (higher: plainer), or None
    without wordfreq."""
    freqs = word_frequencies()
    return _plain_text(text, freqs) if freqs is not None else None


def group_component(
    docs: Sequence[CandidateDoc],
    options: ClusterOptions | None = None,
    plains: Sequence[float | None] | None = None,
) -> list[Cluster]:
    """Triage: the documents of one candidate component (ordered by key) as one cluster,
    without alignment. The root is the earliest member when all have dates; else the
    one whose words are the most common English (wordfreq, if installed; needs the
    texts, see :func:`needs_text`, or their :func:`plainness` as ``plains``); else the
    first. Ties by input order. Members carry no scores and no substitutions."""
    opts = options or ClusterOptions()
    if len(docs) < 2:
        return []
    dates = [parse_date(d.date) for d in docs]
    known = [d for d in dates if d is not None]
    if len(known) < len(docs) and opts.frequency and plains is None:
        plains = [plainness(d.text) for d in docs]
    if len(known) == len(docs):
        root, root_by = min(range(len(docs)), key=lambda i: (known[i], i)), "date"
    elif opts.frequency and plains is not None and None not in plains:
        ranks = [-(p or 0.0) for p in plains]
        root, root_by = min(range(len(docs)), key=lambda i: (ranks[i], i)), "frequency"
    else:
        root, root_by = 0, "first"
    members = [_member(docs[root])]
    members.extend(_member(d) for i, d in enumerate(docs) if i != root)
    sources: tuple[Source, ...] | None = None
    if opts.archive:
        rep = trace_analysis(docs[root].id, docs[root].analysis(), _archive(opts.archive))
        sources = tuple(rep.sources)
    return [Cluster(tuple(members), root_by, sources, verified=False)]


def cluster_component(
    docs: Sequence[CandidateDoc],
    edges: Sequence[tuple[int, int]],
    options: ClusterOptions | None = None,
) -> list[Cluster]:
    """:func:`verify_component`, or :func:`group_component` when ``options.verify`` is
    False."""
    opts = options or ClusterOptions()
    return verify_component(docs, edges, opts) if opts.verify else group_component(docs, opts)


# -- 6. site statistics -------------------------------------------------------------------------


@dataclass
class SiteStats:
    site: str
    pages: int = 0  # documents from this site
    clusters: int = 0  # clusters with a page from this site
    roots: int = 0  # clusters whose root is on this site
    copies: int = 0  # pages that are a cluster's non-root member
    copied_from: Counter[str] = field(default_factory=Counter)  # root site -> copies

    @property
    def share_spun(self) -> float:
        return self.copies / self.pages if self.pages else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "pages": self.pages,
            "clusters": self.clusters,
            "roots": self.roots,
            "copies": self.copies,
            "share_spun": round(self.share_spun, 4),
            "copied_from": dict(self.copied_from.most_common()),
        }


def site_stats(pages: Iterable[str | None], clusters: Iterable[dict[str, Any]]) -> list[SiteStats]:
    """Per-site statistics from the documents' sites and the cluster records; sites
    with the most copies first."""
    stats: dict[str, SiteStats] = {}

    def get(site: str) -> SiteStats:
        if site not in stats:
            stats[site] = SiteStats(site)
        return stats[site]

    for s in pages:
        if s:
            get(s).pages += 1
    for c in clusters:
        root_site = c.get("root_site")
        if root_site:
            get(root_site).roots += 1
        for s in c.get("sites", []):
            get(s).clusters += 1
        for v in c.get("variants", []):
            if v.get("site"):
                st = get(v["site"])
                st.copies += 1
                st.copied_from[root_site or "(unknown)"] += 1
    return sorted(stats.values(), key=lambda s: (-s.copies, -s.pages, s.site))


# -- the run ------------------------------------------------------------------------------------


@dataclass
class ClusterResult:
    """The outcome of a run. Cluster records are kept in a temporary file and read back
    in order by :meth:`records`; close the result (or use it as a context manager)."""

    documents: int  # documents clustered (read and not skipped)
    skipped: list[Skipped]
    sites: list[SiteStats]
    n_clusters: int
    clustered_documents: int
    largest: list[tuple[str, int]]  # (root id, size), largest first
    stats: dict[str, Any]  # candidate search counts (the same for both runners)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage (wall)
    _spill: IO[bytes] | None = field(default=None, repr=False)
    _index: list[tuple[int, int, int]] = field(default_factory=list, repr=False)

    def records(self) -> Iterator[dict[str, Any]]:
        """Cluster records (``Cluster.to_dict``), numbered 1.. in input order of roots."""
        if self._spill is None:
            return
        for cid, (_, offset, length) in enumerate(self._index, start=1):
            self._spill.seek(offset)
            rec: dict[str, Any] = json.loads(self._spill.read(length))
            rec["cluster"] = cid
            yield rec

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    def __enter__(self) -> ClusterResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Progress = Callable[[str, int], None]  # (stage, documents done since last call)


class ClusterSink:
    """Collects clusters (in any order) into a temporary file and builds the result."""

    def __init__(self) -> None:
        self.spill: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.started = time.perf_counter()
        self.timings: dict[str, float] = {}
        self.index: list[tuple[int, int, int]] = []
        self.largest: list[tuple[int, int, str]] = []  # heap of (size, -root key, root id)

        self.lights: list[dict[str, Any]] = []  # what site statistics need of each

    def add_encoded(self, e: EncodedCluster) -> None:
        self.spill.seek(0, os.SEEK_END)
        offset = self.spill.tell()
        self.spill.write(e.data)
        self.index.append((e.root_key, offset, len(e.data)))
        self.lights.append(e.light)
        item = (int(e.light["size"]), -e.root_key, e.root)
        if len(self.largest) < 10:
            heapq.heappush(self.largest, item)
        else:
            heapq.heappushpop(self.largest, item)

    def add_record(self, root_key: int, record: dict[str, Any]) -> None:
        self.add_encoded(EncodedCluster.of_record(root_key, record))

    def add(self, cluster: Cluster) -> None:
        self.add_encoded(EncodedCluster.of(cluster))

    def result(
        self, table: SketchTable, skipped: list[Skipped], stats: dict[str, Any]
    ) -> ClusterResult:
        self.index.sort()
        res = ClusterResult(
            documents=len(table),
            skipped=sorted(skipped, key=lambda s: s.key),
            sites=[],
            n_clusters=len(self.index),
            clustered_documents=0,
            largest=[(rid, size) for size, _, rid in sorted(self.largest, reverse=True)],
            stats=stats,
            timings=self.timings,
            _spill=self.spill,
            _index=self.index,
        )
        res.clustered_documents = sum(r["size"] for r in self.lights)
        res.sites = site_stats(table.sites, self.lights)
        self.lights = []
        self.timings["verify"] = time.perf_counter() - self.started
        return res


@dataclass(frozen=True)
class EncodedCluster:
    """A cluster record as JSON (``cluster`` is numbered when read back), and what the
    sink keeps of it: the root and, as ``light``, a record without substitutions."""

    root_key: int
    root: str
    data: bytes
    light: dict[str, Any]

    @staticmethod
    def of_record(root_key: int, record: dict[str, Any]) -> EncodedCluster:
        light = {k: record.get(k) for k in ("size", "root_site", "sites")}
        light["variants"] = [{"site": v.get("site")} for v in record["variants"]]
        data = json.dumps(record, ensure_ascii=False).encode()
        return EncodedCluster(root_key, str(record["root"]), data, light)

    @staticmethod
    def of(cluster: Cluster) -> EncodedCluster:
        return EncodedCluster.of_record(cluster.root.key, cluster.to_dict(0))


def _init_worker() -> None:
    """A pool worker: Ctrl-C is the parent's to handle, and :func:`relax_gc` (the objects
    inherited from the parent stay out of collections, which would also unshare their
    pages)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    relax_gc()


@functools.cache  # once per process
def relax_gc() -> None:
    """For a process that verifies clusters: what it holds so far is frozen out of
    garbage collection (collections would walk it all) and collections run less often
    (the work makes many short-lived objects and few reference cycles)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _windowed(
    pool: ProcessPoolExecutor | None, fn: Callable[[T], R], items: Iterable[T], window: int
) -> Iterator[R]:
    """``fn`` over ``items`` in order, at most ``window`` tasks in flight (so the input is
    read only as fast as it is processed); in this process when ``pool`` is None."""
    if pool is None:
        for it in items:
            yield fn(it)
        return
    pending: deque[Future[R]] = deque()
    for it in items:
        pending.append(pool.submit(fn, it))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _stop(pool: ProcessPoolExecutor, finished: bool) -> None:
    """Shut the workers down: after their tasks, or at once when this process stops on
    an error or Ctrl-C (which the workers ignore)."""
    if not finished:
        terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
        if terminate is not None:
            terminate()
        else:
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def numbered(
    inputs: Sequence[str], opts: ReadOptions | None = None
) -> Iterator[tuple[int, Document | ReadProblem]]:
    """What :func:`unspin.readers.read_inputs` yields, with each item's key."""
    for n, item in enumerate(inputs):
        for k, it in enumerate(read_inputs([item], opts)):
            yield (n << KEY_SHIFT) | k, it


def _sketch_texts(args: tuple[list[str], FingerprintParams]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`sketch_columns` in a worker: only the texts go there and two arrays come
    back (the parent keeps the rest of each document)."""
    texts, params = args
    return sketch_columns(texts, params)


def _verify_batch(
    args: tuple[list[tuple[list[CandidateDoc], tuple[tuple[int, int], ...]]], ClusterOptions],
) -> list[EncodedCluster]:
    """Clusters of a batch of components, encoded in the worker (JSON is much cheaper to
    send back than the objects)."""
    jobs, opts = args
    out: list[EncodedCluster] = []
    for docs, edges in jobs:
        out.extend(EncodedCluster.of(c) for c in cluster_component(docs, edges, opts))
    return out


class _TextSpill:
    """Texts and titles of every document, on disk until verification needs some of them
    back. Texts come in key order; 32 bytes per document stay in memory."""

    def __init__(self) -> None:
        # A large write buffer: texts go in as a stream, a few at a time.
        self.f: IO[bytes] = tempfile.TemporaryFile(buffering=1 << 20)  # noqa: SIM115
        self.size = 0
        self.unflushed = False
        self.keys = array("q")
        self.offsets = array("q")
        self.lengths = array("q")
        self.title_lengths = array("q")  # -1: no title

    def put(self, key: int, text: str, title: str | None = None) -> None:
        if self.keys and key <= self.keys[-1]:
            raise ValueError("document keys must increase in input order")
        data = text.encode("utf-8", "surrogatepass")
        head = title.encode("utf-8", "surrogatepass") if title is not None else b""
        self.keys.append(key)
        self.offsets.append(self.size)
        self.lengths.append(len(data))
        self.title_lengths.append(len(head) if title is not None else -1)
        self.f.write(head)
        self.f.write(data)
        self.size += len(head) + len(data)
        self.unflushed = True

    def get(self, key: int) -> tuple[str, str | None]:
        """The text and the title of document ``key``."""
        i = bisect_left(self.keys, key)
        if i == len(self.keys) or self.keys[i] != key:
            raise KeyError(key)
        n_title = self.title_lengths[i]
        raw = self._read(self.offsets[i], max(n_title, 0) + self.lengths[i])
        title = raw[:n_title].decode("utf-8", "surrogatepass") if n_title >= 0 else None
        return raw[max(n_title, 0) :].decode("utf-8", "surrogatepass"), title

    def _read(self, offset: int, n: int) -> bytes:
        if self.unflushed:
            self.f.flush()
            self.unflushed = False
        if hasattr(os, "pread"):  # one call, and the write buffer stays as it is
            return os.pread(self.f.fileno(), n, offset)
        self.f.seek(offset)
        raw = self.f.read(n)
        self.f.seek(0, os.SEEK_END)
        return raw

    def close(self) -> None:
        self.f.close()


def candidate_docs(
    table: SketchTable,
    comp: Component,
    text: Callable[[int], tuple[str, str | None]] | None,
) -> list[CandidateDoc]:
    """The documents of ``comp`` with their texts and titles (``text(key)``; empty
    without ``text``)."""
    out = []
    for r in comp.rows:
        key = int(table.keys[r])
        body, title = text(key) if text is not None else ("", None)
        out.append(
            CandidateDoc(
                key=key,
                id=table.ids[r],
                text=body,
                url=table.urls[r],
                site=table.sites[r],
                date=table.dates[r],
                title=title,
            )
        )
    return out


def find_candidates(
    table: SketchTable, opts: ClusterOptions
) -> tuple[list[Component], dict[str, Any]]:
    """Components of the candidate graph over ``table``, and counts for the summary."""
    cands = candidate_pairs(
        table.band_keys,
        table.signatures,
        table.has_bands,
        min_jaccard=opts.jaccard_bar,
        max_bucket=opts.max_bucket,
    )
    comps = plan(cands, len(table))
    stats = {
        "colliding_pairs": cands.colliding_pairs,
        "candidate_pairs": len(cands.pairs),
        "skipped_buckets": cands.skipped_buckets,
        "largest_bucket": cands.largest_bucket,
        "components": len(comps),
        "candidate_documents": sum(len(c.rows) for c in comps),
        "unsketched_documents": int((~table.has_bands).sum()),
    }
    return comps, stats


def cluster_documents(
    items: Iterable[tuple[int, Document | ReadProblem]] | Iterable[Document | ReadProblem],
    options: ClusterOptions | None = None,
    *,
    progress: Progress | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
) -> ClusterResult:
    """Cluster documents on this machine: sketching and verification in
    ``options.workers`` processes, everything else (triage grouping too) in this one.

    ``items`` are documents or read problems, or ``(key, item)`` pairs as
    :func:`numbered` yields them (keys order the input: use them to get the same cluster
    numbers as the Ray runner). Read problems and repeated ids are reported through
    ``on_skip`` as they are met and listed in the result.
    """
    opts = options or ClusterOptions()
    workers = opts.workers if opts.workers is not None else (os.cpu_count() or 1)
    table = SketchTable(opts.params)
    texts = _TextSpill()
    skipped: list[Skipped] = []
    first: dict[str, str] = {}

    def skip(s: Skipped) -> None:
        skipped.append(s)
        if on_skip:
            on_skip(s)

    def docs() -> Iterator[tuple[int, Document]]:
        for n, it in enumerate(items):
            key, item = it if isinstance(it, tuple) else (n, it)
            if isinstance(item, ReadProblem):
                skip(Skipped(key, item.origin, item.message))
                continue
            if item.id in first:
                where = item.origin or item.id
                skip(
                    Skipped(
                        key,
                        where,
                        f"duplicate id {item.id!r} (first at {first[item.id]})",
                    )
                )
                continue
            first[item.id] = item.origin or item.id
            texts.put(key, item.text, item.title)
            yield key, item

    # concurrent.futures rather than multiprocessing.Pool: Pool's worker-handler thread
    # spins while a result waits in the pipe, a few tenths of a CPU second per run.
    pool: ProcessPoolExecutor | None = None
    finished = False
    t0 = time.perf_counter()
    try:
        # The MinHash permutations, loaded before forking: the workers inherit them.
        minhash_permutations(opts.params)
        if workers > 1:
            fork = "fork" in mp.get_all_start_methods()
            zipf = _zipf() if fork and opts.verify and opts.frequency else None
            if zipf is not None:
                zipf("the")  # wordfreq loads here once, and forked workers inherit it
            ctx = mp.get_context("fork" if fork else "spawn")
            pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker)
            pool.submit(int)  # forks the workers now, before this process starts a thread
        if not opts.verify and opts.frequency:
            # Triage groups in this process (light work, cheaper than sending tasks): the
            # word frequencies load while the workers sketch.
            threading.Thread(target=word_frequencies, daemon=True).start()
        metas: deque[list[tuple[int, str, str | None, str | None]]] = deque()

        def batches() -> Iterator[tuple[list[str], FingerprintParams]]:
            for b in batched(docs(), max(1, opts.batch_size)):
                metas.append([(key, d.id, d.url, d.date) for key, d in b])
                yield [d.text for _, d in b], opts.params

        for sigs, bands in _windowed(pool, _sketch_texts, batches(), 4 * workers):
            meta = metas.popleft()  # results come back in order
            table.add_columns(meta, sigs, bands)
            if progress:
                progress("sketch", len(meta))
        first.clear()
        for dup in table.finish():  # none: repeated ids were dropped on reading
            skip(dup)

        t1 = time.perf_counter()
        comps, stats = find_candidates(table, opts)
        sink = ClusterSink()
        sink.timings.update(sketch=t1 - t0, candidates=sink.started - t1)

        def jobs() -> Iterator[
            tuple[list[tuple[list[CandidateDoc], tuple[tuple[int, int], ...]]], ClusterOptions]
        ]:
            batch: list[tuple[list[CandidateDoc], tuple[tuple[int, int], ...]]] = []
            size = 0
            for c in comps:
                if not opts.verify and not needs_text([table.dates[r] for r in c.rows], opts):
                    # Triage without texts: grouped here, no task to send.
                    done = 0
                    for cl in group_component(candidate_docs(table, c, None), opts):
                        sink.add(cl)
                        done += len(cl.members)
                    if progress:
                        progress("verify", done)
                    continue
                batch.append((candidate_docs(table, c, texts.get), c.edges))
                size += len(c.rows)
                if size >= opts.batch_size:
                    yield batch, opts
                    batch, size = [], 0
            if batch:
                yield batch, opts

        stage_pool = pool if opts.verify else None
        for clusters in _windowed(stage_pool, _verify_batch, jobs(), 4 * workers):
            done = 0
            for c in clusters:
                sink.add_encoded(c)
                done += int(c.light["size"])
            if progress:
                progress("verify", done)
        finished = True
    finally:
        if pool is not None:
            _stop(pool, finished)
        texts.close()
    return sink.result(table, skipped, stats)


def cluster_inputs(
    inputs: Sequence[str],
    read_options: ReadOptions | None = None,
    options: ClusterOptions | None = None,
    *,
    progress: Progress | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
) -> ClusterResult:
    """:func:`cluster_documents` over files, directories or ``-`` (stdin)."""
    return cluster_documents(
        numbered(inputs, read_options), options, progress=progress, on_skip=on_skip
    )


def write_result(result: ClusterResult, out: str, sites: str | None = None) -> int:
    """Write the cluster records to ``out`` (and site statistics to ``sites``) as JSONL or
    Parquet; returns the number of clusters written."""
    from unspin.writers import open_writer

    with open_writer(out) as w:
        for rec in result.records():
            w.write(rec)
    if sites:
        with open_writer(sites) as w:
            for s in result.sites:
                w.write(s.to_dict())
    return result.n_clusters


def print_summary(console: Any, result: ClusterResult, top: int = 5) -> None:
    """A short human summary on a rich ``console``: counts, the largest clusters and the
    sites with the most spun copies."""
    from rich.table import Table

    console.print(
        f"[bold]{result.n_clusters:,} clusters[/] holding {result.clustered_documents:,} of "
        f"{result.documents:,} documents"
        + (f", {len(result.skipped):,} skipped" if result.skipped else ""),
        soft_wrap=True,
    )
    if result.largest:
        t = Table(title="largest clusters", title_justify="left", box=None)
        t.add_column("root")
        t.add_column("size", justify="right")
        for root, size in result.largest[:top]:
            t.add_row(root, f"{size:,}")
        console.print(t)
    copying = [s for s in result.sites if s.copies][:top]
    if copying:
        t = Table(title="top copying sites", title_justify="left", box=None)
        for name, justify in (("site", "left"), ("pages", "right"), ("copies", "right")):
            t.add_column(name, justify=justify)  # type: ignore[arg-type]
        t.add_column("share spun", justify="right")
        t.add_column("copies from")
        for s in copying:
            src = ", ".join(f"{k} ({v:,})" for k, v in s.copied_from.most_common(3))
            t.add_row(s.site, f"{s.pages:,}", f"{s.copies:,}", f"{100 * s.share_spun:.0f}%", src)
        console.print(t)
