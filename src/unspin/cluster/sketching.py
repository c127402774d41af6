"""Step 1: one MinHash signature and LSH band keys per document, collected as columns."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import accumulate

import numpy as np

from unspin.cluster.sites import site_of
from unspin.document import Document
from unspin.fingerprint import SCHEME, FingerprintParams, band_keys_of, skeleton_hashes
from unspin.native import compiled


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
    sigs = _signatures(parts, a, b, empty)
    bands = np.zeros((len(texts), params.bands), dtype=np.int64)
    full = [i for i, p in enumerate(parts) if len(p)]
    if full:
        bands[full] = band_keys_of(sigs[full], params)
    return sigs, bands


def _signatures_py(
    parts: Sequence[np.ndarray], a: np.ndarray, b: np.ndarray, empty: np.ndarray
) -> np.ndarray:
    """The MinHash signature (uint32, one row each) of each array of shingle hashes in
    ``parts``; ``empty`` where there are none. The reference for
    ``unspin._minhash.signatures``."""
    ends = list(accumulate(map(len, parts)))
    starts = [0, *ends[:-1]]
    sigs = np.tile(empty, (len(parts), 1))
    full = [i for i in range(len(parts)) if ends[i] > starts[i]]
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
    return sigs


_signatures_c = compiled("_minhash", "signatures")


def _signatures(
    parts: Sequence[np.ndarray], a: np.ndarray, b: np.ndarray, empty: np.ndarray
) -> np.ndarray:
    """:func:`_signatures_py`, in C when it was built (the same values, ~5x faster)."""
    if _signatures_c is None:
        return _signatures_py(parts, a, b, empty)
    sigs = np.empty((len(parts), len(a)), dtype=np.uint32)
    hv = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)
    ends = np.cumsum([len(p) for p in parts], dtype=np.int64)
    _signatures_c(hv, ends, a, b, empty, sigs)
    return sigs


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


def duplicate(key: int, doc_id: str, where: str, first_at: str) -> Skipped:
    """The report of a repeated id (both runners keep the first in input order)."""
    return Skipped(key, where, f"duplicate id {doc_id!r} (first at {first_at})")


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
        """Drop repeated ids (the first in key order stays; the rest are returned) and
        turn the columns into arrays."""
        p = self.params
        order = np.argsort(np.array(self._keys, dtype=np.int64), kind="stable")
        first: dict[str, str] = {}
        keep: list[int] = []
        skipped: list[Skipped] = []
        for i in order.tolist():
            doc_id, origin = self._ids[i], self._origins[i]
            if doc_id in first:
                skipped.append(duplicate(self._keys[i], doc_id, origin or doc_id, first[doc_id]))
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
