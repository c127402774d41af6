"""Map spinning campaigns across a crawl: every group of spun variants of one text, its
root, and who copies whom per site.

The pipeline is a chain of plain functions, one module per step, so that the local runner
(:mod:`.local`, its workers reading the inputs as :mod:`.reading` plans and keeping texts
in :mod:`.texts`) and the Ray runner (:mod:`.ray_job`) run the same code and give the same
clusters. What a run is asked to do is a :class:`ClusterOptions` (:mod:`.options`).

1. :mod:`.sketching` -- one document: the MinHash signature of its immutable skeleton
   (:func:`unspin.fingerprint.skeleton_hashes`, one pass in C) and its LSH band keys, site
   and date.
2. :mod:`.candidates` -- documents sharing a band key, kept when their estimated Jaccard
   is at least ``min_jaccard``. Buckets with more than ``max_bucket`` members are skipped
   (and counted): a key shared by that many documents is boilerplate, and true copies
   also share other bands.
3. :mod:`.candidates` -- candidate pairs grouped into connected components (union-find).
4. :mod:`.verify` -- the documents of one component are analysed with their stray lines
   (:func:`unspin.clean.find_strays`) left out, as trace does. Each is first aligned with
   the component's most likely root, then the remaining candidate pairs are aligned until
   their documents are connected. A pair is a copy by the rule trace uses:
   :attr:`Alignment.score <unspin.align.Alignment.score>` at least ``threshold``
   (:data:`unspin.trace.TRACE_THRESHOLD`) in either direction. Verified pairs are joined
   by union-find; each group of two or more documents is a :class:`Cluster`
   (:mod:`.records`).
5. Root: the least spun member: the earliest when every member has a date; else the
   one whose words are the most common English (wordfreq's unigram model, if installed:
   a spinner's synonyms are rarer than the words they replace); else the one sharing
   the most words with the other members (a source shares every word each of its spins
   kept); ties by input order. Every other member is aligned with the root and its
   substitutions listed (offsets into that member's text).
6. :mod:`.sites` -- per site (URL host): pages, clusters, roots, spun copies, their
   share, and whose pages they copy. :mod:`.result` keeps the records and writes them.

Stray lines (:mod:`unspin.clean`) are not looked for when sketching: only candidate
documents are cleaned, at verification (a glued headline adds a few shingles to a
sketch, not enough to move its estimated Jaccard much).

Triage (``ClusterOptions(verify=False)``, ``unspin cluster --no-verify``, :mod:`.triage`):
steps 4 and 5 are replaced by :func:`group_component`. Candidate pairs are kept at a
higher estimated Jaccard (:data:`TRIAGE_MIN_JACCARD`) and every connected component is one
cluster, with no alignment: members carry no scores and no substitutions, and each record
says ``"verified": false``. Root: the earliest member when every member has a date; else
the one whose words (a regex pass over the whole text, stray lines included) are the most
common English (wordfreq); else the first in input order. Texts are read back only for
components that need them (undated members, or ``archive``). Sketching still runs in the
worker processes; grouping is light and runs in the main process.

Documents are numbered by input position (``key``); a repeated id keeps its first
document and the others are reported as skipped.
"""

from unspin.cluster.candidates import candidate_pairs, plan
from unspin.cluster.local import cluster_documents, cluster_inputs
from unspin.cluster.options import (
    DEFAULT_MAX_BUCKET,
    DEFAULT_MIN_JACCARD,
    KEY_SHIFT,
    TRIAGE_MIN_JACCARD,
    ClusterOptions,
)
from unspin.cluster.reading import numbered
from unspin.cluster.records import CandidateDoc, Cluster, Member, parse_date
from unspin.cluster.result import ClusterResult, print_summary, write_result
from unspin.cluster.sites import SiteStats, site_of, site_stats
from unspin.cluster.sketching import Sketch, Skipped, sketch
from unspin.cluster.triage import group_component
from unspin.cluster.verify import cluster_component, verify, verify_component

__all__ = [
    "DEFAULT_MAX_BUCKET",
    "DEFAULT_MIN_JACCARD",
    "KEY_SHIFT",
    "TRIAGE_MIN_JACCARD",
    "CandidateDoc",
    "Cluster",
    "ClusterOptions",
    "ClusterResult",
    "Member",
    "SiteStats",
    "Sketch",
    "Skipped",
    "candidate_pairs",
    "cluster_component",
    "cluster_documents",
    "cluster_inputs",
    "group_component",
    "numbered",
    "parse_date",
    "plan",
    "print_summary",
    "site_of",
    "site_stats",
    "sketch",
    "verify",
    "verify_component",
    "write_result",
]
