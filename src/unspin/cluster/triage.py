"""Steps 4 and 5 without alignment (triage): each candidate component is one cluster."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import repeat

import numpy as np

from unspin.cluster.options import ClusterOptions
from unspin.cluster.records import CandidateDoc, Cluster, archive_at, member_of, parse_date
from unspin.lexicon import word_frequencies
from unspin.report import Source
from unspin.trace import trace_analysis

_LETTERS = re.compile(r"[a-z]+")  # on lowercased text: English words


def _plain_text(text: str, freqs: dict[str, float]) -> float:
    """Mean Zipf frequency of the words of ``text`` (ASCII letters, one regex pass, no
    analysis, stray lines included; unknown words 0): a cheap form of verification's rank."""
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
    members = [member_of(docs[root])]
    members.extend(member_of(d) for i, d in enumerate(docs) if i != root)
    sources: tuple[Source, ...] | None = None
    if opts.archive:
        rep = trace_analysis(docs[root].id, docs[root].analysis(), archive_at(opts.archive))
        sources = tuple(rep.sources)
    return [Cluster(tuple(members), root_by, sources, verified=False)]
