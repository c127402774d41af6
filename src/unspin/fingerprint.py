"""Fingerprints built from what spinners leave alone.

A synonym spinner rewrites open-class words and keeps names, numbers, dates and function
words. The order of those immutables inside each sentence is therefore a skeleton that a
spun copy shares with its source while an independent report of the same event (same
names, other sentences) does not. We shingle that skeleton per sentence, sketch the
shingle set with MinHash (datasketch), and index the sketch with banded LSH keys that the
archive stores in SQLite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np
import xxhash

from unspin.function_words import FUNCTION_WORDS
from unspin.native import compiled
from unspin.normalize import normalize
from unspin.segment import NUMBER, WORD, Analysis, immutable_mask

if TYPE_CHECKING:
    from datasketch import MinHash

SCHEME = "affine32"


@dataclass(frozen=True)
class FingerprintParams:
    """Sketch parameters. Stored in the archive: a query must use the archive's."""

    num_perm: int = 128
    bands: int = 42
    rows: int = 3
    ngram: int = 3
    seed: int = 1

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError("bands * rows must not exceed num_perm")


@dataclass(frozen=True)
class Fingerprint:
    signature: np.ndarray  # uint32[num_perm]
    band_keys: list[int]  # signed 64-bit, one per band; empty when nothing to sketch
    anchors: list[str]  # names and numbers, for full-text retrieval
    n_shingles: int


def _hash32(b: bytes) -> int:
    return xxhash.xxh32_intdigest(b)


@lru_cache(maxsize=8)
def _template(num_perm: int, seed: int) -> MinHash:
    from datasketch import MinHash  # here: datasketch's package imports scipy (~0.3 s)

    return MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME, hashfunc=_hash32)


def shingles(a: Analysis, ngram: int, mask: list[bool] | None = None) -> list[bytes]:
    """Per-sentence n-grams over the sequence of immutable tokens.

    Sentences are kept apart so that reordered or dropped sentences cost only their own
    shingles. A sentence with fewer than ``ngram`` immutables contributes one shingle of
    what it has, if that is at least two tokens.
    """
    mask = mask if mask is not None else immutable_mask(a)
    out: list[bytes] = []
    for s, e in a.sentences:
        seq = [a.tokens[i] for i in range(s, e) if mask[i]]
        if len(seq) < ngram:
            if len(seq) >= 2:
                out.append(" ".join(seq).encode())
            continue
        out.extend(" ".join(seq[k : k + ngram]).encode() for k in range(len(seq) - ngram + 1))
    return out


def anchors(a: Analysis, mask: list[bool] | None = None) -> list[str]:
    """Names and numbers: the rare immutables worth a full-text lookup."""
    mask = mask if mask is not None else immutable_mask(a)
    seen: dict[str, None] = {}
    starts = {s for s, _ in a.sentences}
    for i, tok in enumerate(a.tokens):
        if not mask[i]:
            continue
        kind = a.kinds[i]
        if kind == NUMBER or (kind == WORD and a.capitalised[i] and i not in starts):
            seen.setdefault(tok, None)
    return list(seen)


def signature_of(items: list[bytes], params: FingerprintParams) -> np.ndarray:
    from datasketch import MinHash

    t = _template(params.num_perm, params.seed)
    m = MinHash(
        num_perm=params.num_perm,
        permutations=t.permutations,
        scheme=SCHEME,
        hashfunc=_hash32,
    )
    if items:
        m.update_batch(items)
    return np.asarray(m.digest(), dtype=np.uint32)


def band_keys(signature: np.ndarray, params: FingerprintParams) -> list[int]:
    """The LSH band keys of one signature (:func:`band_keys_of`)."""
    keys: list[int] = band_keys_of(signature[None, :], params)[0].tolist()
    return keys


_band_keys_c = compiled("_minhash", "band_keys")


def band_keys_of(signatures: np.ndarray, params: FingerprintParams) -> np.ndarray:
    """The LSH band keys of each row of ``signatures`` (int64, a row each): xxh64 of each
    band's bytes, seeded with the band's number, as a signed 64-bit integer (SQLite's).
    In C when it was built (the same keys as :func:`_band_keys_py`)."""
    if _band_keys_c is None:
        return _band_keys_py(signatures, params)
    sigs = np.ascontiguousarray(signatures, dtype=np.uint32)
    keys = np.empty((len(sigs), params.bands), dtype=np.int64)
    _band_keys_c(sigs, params.bands, params.rows, keys)
    return keys


def _band_keys_py(signatures: np.ndarray, params: FingerprintParams) -> np.ndarray:
    """:func:`band_keys_of` with the xxhash package, one band at a time for all rows
    (``h - 2**63`` is ``h`` with its top bit flipped). The reference for
    ``unspin._minhash.band_keys``."""
    r, n = params.rows, len(signatures)
    width = 4 * r
    keys = np.empty((n, params.bands), dtype=np.uint64)
    for band in range(params.bands):
        data = np.ascontiguousarray(signatures[:, band * r : (band + 1) * r], np.uint32).tobytes()
        chunks = [data[k : k + width] for k in range(0, len(data), width)]
        keys[:, band] = np.fromiter(
            map(xxhash.xxh64_intdigest, chunks, repeat(band)), dtype=np.uint64, count=n
        )
    keys ^= np.uint64(1 << 63)
    return keys.view(np.int64)


def fingerprint(a: Analysis, params: FingerprintParams) -> Fingerprint:
    mask = immutable_mask(a)
    items = sorted(set(shingles(a, params.ngram, mask)))
    sig = signature_of(items, params)
    return Fingerprint(
        signature=sig,
        band_keys=band_keys(sig, params) if items else [],
        anchors=anchors(a, mask),
        n_shingles=len(items),
    )


# -- a fast skeleton for clustering ------------------------------------------------------------

# Words and numbers, sentence ends (a stop followed by a space) and line breaks.
_SKELETON_TOKEN = re.compile(r"\w+|[.!?]\s|\n")


def skeleton(text: str) -> list[list[str]]:
    """Per sentence, the lowercased immutable tokens of ``text``, in one regex pass.

    The same rule as :func:`unspin.segment.immutable_mask` (function words, numbers, and
    capitalised words inside a sentence, or at its start when the word also appears
    capitalised mid-sentence) on a coarser segmentation: ``\\w+`` tokens, and sentences
    that end at a stop followed by a space or at a line break. About six times cheaper
    than :func:`unspin.segment.analyze`; clustering sketches every document of a crawl
    with it (the archive and trace keep :func:`fingerprint`).
    """
    sents: list[list[str | None]] = []
    cur: list[str | None] = []
    pending: list[tuple[int, str]] = []  # (sentence, word) capitalised sentence starts
    mid_caps: set[str] = set()
    fw = FUNCTION_WORDS
    start = True
    for t in _SKELETON_TOKEN.findall(normalize(text).text):
        c = t[0]
        if c.islower():
            if t in fw:
                cur.append(t)
        elif c.isupper():
            low = t.lower()
            if low in fw:
                cur.append(low)
            elif start:
                pending.append((len(sents), low))
                cur.append(None)
            else:
                mid_caps.add(low)
                cur.append(low)
        elif c.isdigit():
            cur.append(t)
        elif c in ".!?\n":
            if cur:
                sents.append(cur)
                cur = []
            start = True
            continue
        start = False
    if cur:
        sents.append(cur)
    for i, low in pending:
        sents[i][0] = low if low in mid_caps else None
    return [[t for t in s if t is not None] for s in sents]


def skeleton_shingles(text: str, ngram: int) -> list[bytes]:
    """:func:`shingles` over :func:`skeleton`."""
    out: list[str] = []
    for seq in skeleton(text):
        if len(seq) < ngram:
            if len(seq) >= 2:
                out.append(" ".join(seq))
            continue
        out.extend(map(" ".join, zip(*(seq[k:] for k in range(ngram)), strict=False)))
    # Tokens are \w+: no line breaks, so one encode and one split make the bytes.
    return "\n".join(out).encode().split(b"\n") if out else []


def _skeleton_hashes_py(text: str, ngram: int) -> np.ndarray:
    return np.fromiter(map(xxhash.xxh32_intdigest, skeleton_shingles(text, ngram)), dtype=np.uint32)


_shingle_hashes = compiled("_skeleton", "shingle_hashes")


def skeleton_hashes(text: str, ngram: int) -> np.ndarray:
    """xxh32 of each of :func:`skeleton_shingles` (uint32, in order): what the clustering
    sketch's MinHash takes. Computed by the C module ``unspin._skeleton`` when it was
    built (same rules, ~4x faster per document), else in Python."""
    if _shingle_hashes is None:
        return _skeleton_hashes_py(text, ngram)
    raw = _shingle_hashes(normalize(text).text, ngram, FUNCTION_WORDS)
    return np.frombuffer(raw, dtype=np.uint32)


def estimated_jaccard(sig: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Share of equal MinHash slots between one signature and each row of ``others``."""
    return np.asarray((others == sig[None, :]).mean(axis=1), dtype=np.float64)
