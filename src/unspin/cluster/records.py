"""What a cluster holds: its documents, members (with substitutions) and the record."""

from __future__ import annotations

import functools
import json
import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring as _str  # json's string encoder (ensure_ascii=False)
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

    def to_json(self) -> str:
        """``json.dumps(self.to_dict(), ensure_ascii=False)``, written directly: a crawl's
        records list every substitution of every member, and building the dicts to
        encode them cost as much as encoding."""
        subs = ", ".join(
            f'{{"start": {s}, "end": {e}, "text": {_str(t)}, "original": {_str(o)}}}'
            for s, e, t, o in self.substitutions
        )
        return (
            f'{{"id": {_str(self.id)}, "url": {_value(self.url)}, "site": {_value(self.site)}, '
            f'"date": {_value(self.date)}, "score": {_value(self.score)}, '
            f'"coverage": {_value(self.coverage)}, "reused": {_value(self.reused)}, '
            f'"substitutions": [{subs}]}}'
        )


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

    @functools.cached_property
    def sites(self) -> list[str]:
        """The members' sites, sorted, once each (the record and the sink both list them)."""
        return sorted({m.site for m in self.members if m.site})

    def to_dict(self, cluster_id: int) -> dict[str, Any]:
        """The record as a dict: what :meth:`to_json` writes (a test holds them together)."""
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
            "sites": self.sites,
            "variants": [m.to_dict() for m in self.members[1:]],
        }
        if self.sources is not None:
            d["sources"] = [asdict(s) for s in self.sources]
        return d

    def to_json(self) -> str:
        """The record without its number: ``json.dumps`` of :meth:`to_dict` without
        ``cluster`` (``ensure_ascii=False``), written directly (see :meth:`Member.to_json`)."""
        root = self.root
        members = ", ".join(_str(m.id) for m in self.members)
        sites = ", ".join(map(_str, self.sites))
        variants = ", ".join(m.to_json() for m in self.members[1:])
        sources = (
            ""
            if self.sources is None
            else ', "sources": ' + json.dumps([asdict(s) for s in self.sources], ensure_ascii=False)
        )
        return (
            f'{{"size": {len(self.members)}, "root": {_str(root.id)}, "members": [{members}], '
            f'"root_by": {_str(self.root_by)}, "verified": {_value(self.verified)}, '
            f'"root_url": {_value(root.url)}, "root_site": {_value(root.site)}, '
            f'"root_date": {_value(root.date)}, "sites": [{sites}], '
            f'"variants": [{variants}]{sources}}}'
        )


def _value(v: str | float | bool | None) -> str:
    """One JSON value as ``json.dumps(v, ensure_ascii=False)`` writes it."""
    if v is None:
        return "null"
    if isinstance(v, str):
        return _str(v)
    if type(v) is float and math.isfinite(v):
        return float.__repr__(v)
    return json.dumps(v)


@functools.lru_cache(maxsize=1 << 16)  # a crawl repeats its dates; triage asks twice
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
    subs = substitution_spans(a, v, None)  # every aligned sentence
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
