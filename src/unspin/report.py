"""What a trace returns. Field names are a contract shared by the CLI's --json output and
the Python API: keep them stable."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal["copy", "no-source", "not-english"]


@dataclass(frozen=True)
class Source:
    id: str
    score: float  # share of the copy's words that are this source's words, in order
    coverage: float  # share of the copy's words inside sentences aligned to this source
    reused: float  # share of this source's words that the copy reuses
    title: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Substitution:
    start: int  # character offsets into the input text
    end: int
    text: str
    original: str  # the source's wording ("" when the copy inserted words)
    source_id: str | None


@dataclass(frozen=True)
class Stray:
    start: int  # character offsets into the input text
    end: int
    text: str
    reason: str  # glued-headline, promo, ad-marker, share-bar, navigation,
    # repeated-headline, spintax


@dataclass(frozen=True)
class TraceReport:
    id: str
    verdict: Verdict
    sources: list[Source]
    substitutions: list[Substitution]
    restored: str
    text: str = field(repr=False)
    stray: list[Stray] = field(default_factory=list)
    language: str = "en"
    evasions: dict[str, int] = field(default_factory=dict)
    # For renderers: copy sentence span -> (source id, source sentence span), input offsets.
    aligned_sentences: list[tuple[tuple[int, int], str, tuple[int, int]]] = field(
        default_factory=list, repr=False
    )

    def to_dict(self, *, view: bool = False) -> dict[str, Any]:
        """The report as JSON-ready data. ``view=True`` adds ``"view"`` for side-by-side
        renderers: the input ``text`` and the ``aligned`` sentence pairs (input offsets into
        the copy, ``source_start``/``source_end`` into the source's text)."""
        out: dict[str, Any] = {
            "id": self.id,
            "verdict": self.verdict,
            "sources": [asdict(s) for s in self.sources],
            "substitutions": [asdict(s) for s in self.substitutions],
            "restored": self.restored,
            "stray": [asdict(s) for s in self.stray],
            "language": self.language,
            "evasions": self.evasions,
        }
        if view:
            out["view"] = {
                "text": self.text,
                "aligned": [
                    {"start": c0, "end": c1, "source_id": sid, "source_start": s0, "source_end": s1}
                    for (c0, c1), sid, (s0, s1) in self.aligned_sentences
                ],
            }
        return out


CheckVerdict = Literal["spun", "clean", "not-english"]


@dataclass(frozen=True)
class CheckSubstitution(Substitution):
    """A substitution with how sure we are: 1.0 when a source proves it, the model's
    probability otherwise (``source_id`` None), and other plausible originals."""

    confidence: float = 1.0
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckReport:
    id: str
    verdict: CheckVerdict
    spin_score: float  # calibrated probability that the text is spun
    sources: list[Source]
    substitutions: list[CheckSubstitution]
    restored: str
    text: str = field(repr=False)
    stray: list[Stray] = field(default_factory=list)
    language: str = "en"
    evasions: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "verdict": self.verdict,
            "spin_score": self.spin_score,
            "sources": [asdict(s) for s in self.sources],
            "substitutions": [
                {**asdict(s), "alternatives": list(s.alternatives)} for s in self.substitutions
            ],
            "restored": self.restored,
            "stray": [asdict(s) for s in self.stray],
            "language": self.language,
            "evasions": self.evasions,
        }
