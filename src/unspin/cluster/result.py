"""The outcome of a run: cluster records spilled to disk in order, the summary, output."""

from __future__ import annotations

import heapq
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from unspin.cluster.records import Cluster
from unspin.cluster.sites import SiteStats, site_stats
from unspin.cluster.sketching import SketchTable, Skipped


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
        for cid, body in self._bodies():
            yield {"cluster": cid, **json.loads(body)}

    def json_lines(self) -> Iterator[str]:
        """:meth:`records` as JSON text, one object per item (no line break), without
        decoding them: what ``json.dumps(record, ensure_ascii=False)`` gives."""
        for cid, body in self._bodies():  # a body is never empty: it starts {"size": ...
            yield f'{{"cluster": {cid}, {body[1:].decode()}'

    def _bodies(self) -> Iterator[tuple[int, bytes]]:
        """Each cluster's number and its :attr:`EncodedCluster.data`."""
        if self._spill is None:
            return
        for cid, (_, offset, length) in enumerate(self._index, start=1):
            self._spill.seek(offset)
            yield cid, self._spill.read(length)

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
        self.size = 0  # bytes written to spill (it is only appended to until result())
        self.started = time.perf_counter()
        self.timings: dict[str, float] = {}
        self.index: list[tuple[int, int, int]] = []
        self.largest: list[tuple[int, int, str]] = []  # heap of (size, -root key, root id)

        self.lights: list[dict[str, Any]] = []  # what site statistics need of each

    def add_encoded(self, e: EncodedCluster) -> None:
        self.index.append((e.root_key, self.size, len(e.data)))
        self.spill.write(e.data)
        self.size += len(e.data)
        self.lights.append(e.light)
        item = (int(e.light["size"]), -e.root_key, e.root)
        if len(self.largest) < 10:
            heapq.heappush(self.largest, item)
        else:
            heapq.heappushpop(self.largest, item)

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
    """A cluster record as JSON without its ``cluster`` number (given when the records
    are read back in order), and what the sink keeps of it: the root and, as ``light``,
    a record without substitutions."""

    root_key: int
    root: str
    data: bytes
    light: dict[str, Any]

    @staticmethod
    def of(cluster: Cluster) -> EncodedCluster:
        members = cluster.members
        light: dict[str, Any] = {
            "size": len(members),
            "root_site": cluster.root.site,
            "sites": cluster.sites,
            "variants": [{"site": m.site} for m in members[1:]],
        }
        data = cluster.to_json().encode()  # numbered when read back
        return EncodedCluster(cluster.root.key, cluster.root.id, data, light)


def write_result(result: ClusterResult, out: str, sites: str | None = None) -> int:
    """Write the cluster records to ``out`` (and site statistics to ``sites``) as JSONL or
    Parquet; returns the number of clusters written."""
    from unspin.writers import JsonlWriter, open_writer

    with open_writer(out) as w:
        if isinstance(w, JsonlWriter):  # the records are JSON already: no round trip
            for line in result.json_lines():
                w.write_json(line)
        else:
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
