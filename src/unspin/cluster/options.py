"""What a clustering run is asked to do: thresholds, workers, verification."""

from __future__ import annotations

from dataclasses import dataclass, field

from unspin.fingerprint import FingerprintParams
from unspin.trace import TRACE_THRESHOLD

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
# Document keys: input number in the high bits, record number in the low bits.
KEY_SHIFT = 40


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
    # Documents per task (a block of Ray's): fewer, larger tasks cost less to send and
    # schedule (64 -> 256: local runs 3% and Ray local runs 12% faster on the bench
    # crawl), and still leave enough of them to share out.
    batch_size: int = 256
    # False: triage, candidate components are the clusters (no alignment, no substitutions).
    verify: bool = True

    @property
    def jaccard_bar(self) -> float:
        """The minimum estimated Jaccard of a candidate pair in this mode."""
        if self.min_jaccard is not None:
            return self.min_jaccard
        return DEFAULT_MIN_JACCARD if self.verify else TRIAGE_MIN_JACCARD
