"""Sites (URL hosts) and who copies whom: step 6 of the pipeline."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# A URL whose host urlsplit would give as it stands: an http(s) scheme, then a host of
# letters, digits, dots and hyphens up to the path, query, fragment or end (no user, port
# or brackets). Nearly every crawled URL; one regex match instead of urlsplit, whose cost
# was most of the main process's work per document while sketching.
_PLAIN_URL = re.compile(r"https?://([a-z0-9.-]+)(?=[/?#]|\Z)", re.IGNORECASE)


def site_of(url: str | None) -> str | None:
    """The host of ``url``, lowercased, without a leading ``www.``."""
    m = _PLAIN_URL.match(url) if url else None
    return _without_www(m.group(1).lower()) if m is not None else _site_by_urlsplit(url)


def _site_by_urlsplit(url: str | None) -> str | None:
    """:func:`site_of` of any URL, by urlsplit (what the plain-URL shortcut must agree
    with)."""
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    return _without_www(host) if host else None


def _without_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


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
