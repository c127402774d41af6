"""A linear read-out of the language model's hidden states: how substituted a span looks.

Surprisal says how unexpected a word was; the hidden states around it say more: what the
model made of the word once it had read it, and of the word after it. A logistic model
over three of them (the state in front of the span, at its last token and at the token
after it; :meth:`unspin.scorer.Scorer.token_scores` with ``spans_at``) was fitted on
spun news text (`python bench/detect_bench.py --data ../shared/data --n 40 --fit-probe
--probe-n 160`: 160 articles after those of the benchmark and of the candidate ranker,
hidden states after layer 20 of SmolLM2-135M's 30, which read better than the last). It
needs no candidates, so it also sees substitutions whose original no thesaurus proposes.
The weights belong to one model: other models get no probe, and the feature is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

# Fitted weights per model name, shipped with the package (see bench/detect_bench.py).
_SHIPPED = {"smollm2": "smollm2.npz"}


@dataclass(frozen=True)
class SpanProbe:
    """Logistic weights over a span's three hidden states, flattened."""

    weights: np.ndarray  # float32 [3 * hidden]
    bias: float
    layer: int | None = None  # whose hidden states (None: the last, normalised)

    @property
    def hidden_size(self) -> int:
        return len(self.weights) // 3

    def logits(self, states: np.ndarray) -> np.ndarray:
        """Log-odds that each span was substituted, from ``states`` [spans, 3, hidden]."""
        flat = np.asarray(states, dtype=np.float32).reshape(len(states), -1)
        return np.asarray(flat @ self.weights + self.bias, dtype=np.float64)

    def save(self, path: Path) -> None:
        np.savez(
            path,
            weights=self.weights.astype(np.float32),
            bias=np.float32(self.bias),
            layer=np.int64(-1 if self.layer is None else self.layer),
        )

    @staticmethod
    def load(path: Path) -> SpanProbe:
        with np.load(path) as z:
            layer = int(z["layer"])
            return SpanProbe(
                z["weights"].astype(np.float32), float(z["bias"]), None if layer < 0 else layer
            )


def shipped_probe(model: str, hidden_size: int) -> SpanProbe | None:
    """The probe fitted for ``model`` (a :class:`~unspin.scorer.Scorer` name), or None
    when none was fitted for it or its hidden size differs."""
    name = _SHIPPED.get(model)
    if name is None:
        return None
    ref = resources.files("unspin") / "probes" / name
    if not ref.is_file():
        return None
    with resources.as_file(ref) as path:
        probe = SpanProbe.load(path)
    return probe if probe.hidden_size == hidden_size else None
