"""What a cluster holds: its documents, members (with substitutions) and the record."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from unspin.align import Alignment
from unspin.archive import Archive
from unspin.clean import find_strays
from unspin.report import Source
from unspin.segment import Analysis, analyze
from unspin.trace import VerifiedSource, substitution_spans


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


def member_of(
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


_ARCHIVES: dict[str, Archive] = {}


def archive_at(path: str) -> Archive:
    """One open archive per process and path (workers open their own)."""
    if path not in _ARCHIVES:
        _ARCHIVES[path] = Archive(path)
    return _ARCHIVES[path]
