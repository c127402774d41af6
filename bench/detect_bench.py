"""Detection benchmark: spun words found without a source, and the document spin score.

Articles from ../shared/data/news are spun by the bench spinner at 10, 30 and 50% of
content words, and kept un-spun as negatives. The spinner's thesaurus is `--thesaurus`:
`mythes` (the OpenOffice thesaurus; unspin's lexicon reads Debian's copy of it when
mythes-en-us is installed, so this is a spinner whose thesaurus we also hold) or `finnlp`
(a smaller WordNet-derived list from another project, which unspin does not read). Half of
the articles calibrate the thresholds and the document-score model; the other half is
scored. A rare-word baseline (word frequency alone) runs on the same documents.

Stage 1 (slow, the language model) caches every scored suspect to bench/out; stage 2
(fast) fits and evaluates. Run: `python bench/detect_bench.py --data ../shared/data --n 120`
then `--analyse` to refit without re-running the model.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spinner import Spinner, load_thesaurus
from trace_bench import load_articles

from unspin import calibration
from unspin.detect import (
    Scored,
    SpanCandidates,
    _content_positions,
    candidate_spans,
    features,
    first_pass,
    flags_from,
    judge,
    rank_logits,
    score_suspects,
    selection_features,
    span_candidates,
    stack_features,
    suggestion_scores,
    suspicion,
    word_features,
)
from unspin.lexicon import Lexicon
from unspin.probe import SpanProbe
from unspin.reread import reread_scored
from unspin.scorer import Scorer
from unspin.segment import analyze

RATES = (0.1, 0.3, 0.5)
THESAURI = {"mythes": "mythes_en_us.jsonl.gz", "finnlp": "finnlp_synonyms.jsonl"}
HERE = Path(__file__).resolve().parent


# -- stage 1: run the model ------------------------------------------------------------------


def shuffled_articles(args: argparse.Namespace) -> list[dict[str, str]]:
    """News articles of 150-700 words in the bench's order: the first ``--n`` are the
    benchmark's, those after them fit the candidate ranker."""
    rng = random.Random(args.seed)
    arts = [a for a in load_articles(args.data) if 150 <= len(a["text"].split()) <= 700]
    rng.shuffle(arts)
    return arts


def run(args: argparse.Namespace) -> None:
    arts = shuffled_articles(args)[args.offset : args.offset + args.n]
    spinner = Spinner(load_thesaurus(args.data / "spinner-dicts" / THESAURI[args.thesaurus]))
    t = time.perf_counter()
    scorer = Scorer(threads=args.threads)
    lexicon = Lexicon()
    load_s = time.perf_counter() - t
    cache = args.out / "detect_cache.jsonl"
    done = set()
    if cache.exists():
        done = {json.loads(line)["key"] for line in cache.open()}
    n_words = 0
    busy = 0.0
    with cache.open("a") as f:
        for i, a in enumerate(arts):
            docs = [("orig", None, a["text"], [], [])]
            for r in RATES:
                s = spinner.spin(a["text"], r)
                docs.append(
                    (
                        "spun",
                        r,
                        s.text,
                        [(c.start, c.end, c.original) for c in s.changes],
                        [(c.start, c.end, c.original) for c in s.substitutions],
                    )
                )
            for kind, rate, text, truth, subs in docs:
                key = f"{a['id']}|{kind}|{rate}"
                if key in done:
                    continue
                t = time.perf_counter()
                an = analyze(text)
                content = _content_positions(an)
                scored = score_suspects(an, scorer, lexicon, content=content)
                # As `check` does: the flags with the shipped calibration, read again.
                flags = judge(scored, len(content)).flags
                by_span = {(s.start, s.end): s for s in scored}
                again = reread_scored(an, scorer, flags, [by_span[(f.start, f.end)] for f in flags])
                dt = time.perf_counter() - t
                busy += dt
                n_words += an.n_words
                rec = {
                    "key": key,
                    "split": "cal" if i % 2 == 0 else "eval",
                    "kind": kind,
                    "rate": rate,
                    "words": an.n_words,
                    "content": len(content),
                    "seconds": dt,
                    "truth": truth,
                    "substitutions": subs,
                    "scored": [
                        {**asdict(s), "span": an.input_span(s.start, s.end)} for s in scored
                    ],
                    "reread": [asdict(s) for s in again],
                }
                f.write(json.dumps(rec) + "\n")
                f.flush()
            print(
                f"{i + 1}/{len(arts)} articles, {n_words / max(busy, 1e-9):.0f} words/s", flush=True
            )
    meta = {
        "load_seconds_this_run": load_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "words_per_s": n_words / busy if busy else None,
        "thesaurus": args.thesaurus,
        "lexicon_sources": lexicon.sources,
        "dtype": scorer.dtype,
    }
    (args.out / "detect_run.json").write_text(json.dumps(meta, indent=2))


# -- the candidate ranker ---------------------------------------------------------------------


@dataclass
class RankerDoc:
    """One spun document of the ranker's data: every span with candidates."""

    article: int
    content: int  # content words (the re-scoring cap is a share of them)
    n_subs: int  # the spinner's substitutions
    spans: list[SpanCandidates]
    selection: list[dict[str, float]]  # selection_features() per span
    covers: list[set[int]]  # substitutions each span overlaps
    labels: list[np.ndarray | None]  # per candidate: is it the original (spun spans only)


def ranker_data(args: argparse.Namespace) -> list[RankerDoc]:
    """Every span with candidates in ``--ranker-n`` articles after the benchmark's, spun
    at 30 and 50%."""
    arts = shuffled_articles(args)[args.n : args.n + args.ranker_n]
    spinner = Spinner(load_thesaurus(args.data / "spinner-dicts" / THESAURI[args.thesaurus]))
    scorer = Scorer(threads=args.threads)
    lexicon = Lexicon()
    docs = []
    for i, art in enumerate(arts):
        for rate in (0.3, 0.5):
            spun = spinner.spin(art["text"], rate)
            an = analyze(spun.text)
            content = _content_positions(an)
            doc = RankerDoc(i, len(content), len(spun.substitutions), [], [], [], [])
            for sc in span_candidates(an, content, scorer, lexicon):
                s0, s1 = an.input_span(sc.start, sc.end)
                hit = [c for c in spun.changes if c.start <= s0 and s1 <= c.end]
                doc.spans.append(sc)
                doc.selection.append(selection_features(sc, rank_logits(sc.features)))
                doc.covers.append(
                    {k for k, u in enumerate(spun.substitutions) if u.start < s1 and s0 < u.end}
                    if hit
                    else set()
                )
                want = hit[0].original.lower() if hit else None
                doc.labels.append(
                    np.array([c.text.lower() == want for c in sc.found], dtype=float)
                    if hit
                    else None
                )
            docs.append(doc)
        print(f"ranker data: {i + 1}/{len(arts)} articles", flush=True)
    return docs


def selection_coverage(docs: list[RankerDoc], score: Any) -> float:
    """Share of substitutions overlapped by the spans re-scored (the most suspicious,
    up to calibration.MAX_SUSPECT_SHARE of content words) when spans rank by ``score``."""
    found = total = 0
    for d in docs:
        cap = max(8, math.ceil(calibration.MAX_SUSPECT_SHARE * d.content))
        z = np.array([score(f) for f in d.selection])
        got: set[int] = set()
        for j in np.argsort(-z, kind="stable")[:cap]:
            got |= d.covers[int(j)]
        found += len(got)
        total += d.n_subs
    return found / total if total else 0.0


def fit_conditional_logit(
    items: list[tuple[np.ndarray, np.ndarray]], l2: float = 1e-3, steps: int = 600
) -> np.ndarray:
    """Weights of a softmax over each span's candidates (labels: the original), by
    gradient descent on standardised features; returned on raw features."""
    allx = np.vstack([x for x, _ in items])
    mu, sd = allx.mean(0), allx.std(0) + 1e-9
    zs = [((x - mu) / sd, y / y.sum()) for x, y in items]
    w = np.zeros(allx.shape[1])
    for _ in range(steps):
        g = np.zeros_like(w)
        for z, y in zs:
            e = z @ w
            p = np.exp(e - e.max())
            g += z.T @ (p / p.sum() - y)
        w -= 0.5 * (g / len(zs) + l2 * w)
    return w / sd  # the per-span shift from the mean does not change a softmax


def fit_ranker(args: argparse.Namespace) -> None:
    """Fit the candidate ranker (calibration.CANDIDATE_WEIGHTS) and the span selection
    (calibration.SELECT_WEIGHTS), and report on articles held out from the fit how often
    the original is among the top k candidates, by the first pass alone (first-token
    log-probability) and by the ranker, and the share of substitutions among the spans
    re-scored, by pre_gain alone and by the selection model."""
    docs = ranker_data(args)
    names = list(docs[0].spans[0].features)
    fit_docs = [d for d in docs if d.article % 2 == 0]
    held_docs = [d for d in docs if d.article % 2 == 1]

    def items(ds: list[RankerDoc]) -> list[tuple[np.ndarray, np.ndarray]]:
        return [
            (np.stack([sc.features[k] for k in names], 1), y)
            for d in ds
            for sc, y in zip(d.spans, d.labels, strict=True)
            if y is not None
        ]

    fit, held = items(fit_docs), items(held_docs)
    w = fit_conditional_logit([(x, y) for x, y in fit if y.any()])
    shipped = np.array([calibration.CANDIDATE_WEIGHTS.get(k, 0.0) for k in names])
    first_only = np.array([float(k == "first_token") for k in names])

    def covered(weights: np.ndarray, k: int) -> float:
        hits = 0
        for x, y in held:
            hits += bool(y[np.argsort(-(x @ weights), kind="stable")[:k]].any())
        return hits / len(held) if held else 0.0

    report: dict[str, object] = {
        "thesaurus": args.thesaurus,
        "articles": args.ranker_n,
        "spun_spans_held_out": len(held),
        "original_among_all_candidates": sum(bool(y.any()) for _, y in held) / max(1, len(held)),
    }
    for k in (1, 3, 6, 10):
        report[f"top{k}"] = {
            "first_token_only": covered(first_only, k),
            "ranker": covered(w, k),
            "shipped_ranker": covered(shipped, k),
        }
    w_all = fit_conditional_logit([(x, y) for x, y in fit + held if y.any()])
    report["CANDIDATE_WEIGHTS"] = {k: round(float(v), 4) for k, v in zip(names, w_all, strict=True)}

    # Span selection: logistic over selection_features, label: the span overlaps a
    # substitution.
    sel_names = list(docs[0].selection[0])

    def sel_xy(ds: list[RankerDoc]) -> tuple[np.ndarray, np.ndarray]:
        x = np.array([[f[k] for k in sel_names] for d in ds for f in d.selection])
        y = np.array([bool(c) for d in ds for c in d.covers], dtype=float)
        return x, y

    sw = fit_logistic(*sel_xy(fit_docs))
    report["substitutions_among_rescored_spans"] = {
        "pre_gain_only": selection_coverage(held_docs, lambda f: f["pre_gain"]),
        "selection_model": selection_coverage(
            held_docs, lambda f: sum(v * f[k] for k, v in zip(sel_names, sw, strict=False))
        ),
        "shipped": selection_coverage(held_docs, suspicion),
    }
    sw_all = fit_logistic(*sel_xy(docs))
    report["SELECT_WEIGHTS"] = {
        k: round(float(v), 4) for k, v in zip(sel_names, sw_all[:-1], strict=True)
    }
    print(json.dumps(report, indent=2))
    (args.out / f"detect_ranker_{args.thesaurus}.json").write_text(json.dumps(report, indent=2))


# -- the hidden-state probe ---------------------------------------------------------------------


def probe_data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hidden states around every span with candidates (what unspin.probe reads), whether
    the span lies inside a change, and its article, for ``--probe-n`` articles after the
    benchmark's and the ranker's, each un-spun and spun at 10, 30 and 50%."""
    start = args.n + args.ranker_n
    arts = shuffled_articles(args)[start : start + args.probe_n]
    spinner = Spinner(load_thesaurus(args.data / "spinner-dicts" / THESAURI[args.thesaurus]))
    scorer = Scorer(threads=args.threads)
    lexicon = Lexicon()
    xs: list[np.ndarray] = []
    ys: list[bool] = []
    groups: list[int] = []
    for i, art in enumerate(arts):
        versions = [(art["text"], [])]
        for rate in RATES:
            spun = spinner.spin(art["text"], rate)
            versions.append((spun.text, [(c.start, c.end) for c in spun.changes]))
        for text, changes in versions:
            an = analyze(text)
            spans = candidate_spans(an, _content_positions(an), lexicon)
            fp = first_pass(
                an, scorer, {s: e for s, e, _ in spans}, states=True, layer=args.probe_layer
            )
            for s, e, _ in spans:
                s0, s1 = an.input_span(s, e)
                xs.append(fp.states[s].reshape(-1))
                ys.append(any(c0 <= s0 and s1 <= c1 for c0, c1 in changes))
                groups.append(i)
        print(f"probe data: {i + 1}/{len(arts)} articles, {len(ys)} spans", flush=True)
    return np.array(xs, dtype=np.float32), np.array(ys, dtype=np.float32), np.array(groups)


def fit_probe_weights(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression on standardised features (L-BFGS, torch);
    weights and bias on raw features."""
    import torch

    mu, sd = x.mean(0), x.std(0) + 1e-6
    z = torch.from_numpy((x - mu) / sd)
    t = torch.from_numpy(y)
    w = torch.zeros(z.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=300, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z @ w + b, t)
        loss = loss + l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    wn = w.detach().numpy()
    return (wn / sd).astype(np.float32), float(b.detach()) - float((wn * mu / sd).sum())


def fit_probe(args: argparse.Namespace) -> None:
    """Fit the hidden-state probe (unspin.probe) for the default model; report its AUC on
    a sixth of the articles held out from the fit for each L2 strength; write the
    weights fitted on all of them, with the best strength, to ``--probe-out``."""
    # The states take a while to collect: kept beside the other outputs for refits.
    start = args.n + args.ranker_n
    cached = args.out / (
        f"probe_data_{args.thesaurus}_{start}_{start + args.probe_n}_{args.probe_layer}.npz"
    )
    if cached.exists():
        with np.load(cached) as z:
            x, y, groups = z["x"].astype(np.float32), z["y"], z["groups"]
    else:
        x, y, groups = probe_data(args)
        np.savez(cached, x=x.astype(np.float16), y=y, groups=groups)
        x = x.astype(np.float16).astype(np.float32)  # as a refit from the cache reads it
    held = groups % 6 == 5
    report: dict[str, object] = {
        "thesaurus": args.thesaurus,
        "articles": args.probe_n,
        "spans": len(y),
        "substituted_share": float(y.mean()),
        "layer": args.probe_layer,
    }
    aucs: dict[float, float] = {}
    for l2 in (1e-3, 1e-2, 1e-1):
        w, b = fit_probe_weights(x[~held], y[~held], l2)
        z = x[held] @ w + b
        aucs[l2] = auc(list(z[y[held] == 1]), list(z[y[held] == 0]))
        report[f"held_out_auc_l2_{l2}"] = aucs[l2]
    best = max(aucs, key=lambda v: aucs[v])
    report["l2"] = best
    w, b = fit_probe_weights(x, y, best)
    SpanProbe(w, b, args.probe_layer).save(args.probe_out)
    report["written"] = str(args.probe_out)
    print(json.dumps(report, indent=2))
    (args.out / f"detect_probe_{args.thesaurus}.json").write_text(json.dumps(report, indent=2))


def load_times(args: argparse.Namespace) -> dict[str, float]:
    """First load (empty cache: GGUF dequantised) and cached load, in fresh processes."""
    code = (
        "import time;t=time.time();from unspin.scorer import Scorer;Scorer();print(time.time()-t)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        env = {"UNSPIN_CACHE": tmp, "PATH": "/usr/bin:/bin", "HOME": tmp}
        out = {}
        for name in ("first_load_s", "cached_load_s"):
            r = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            out[name] = float(r.stdout.strip().splitlines()[-1])
    return out


# -- stage 2: fit and evaluate ------------------------------------------------------------


def auc(pos: list[float], neg: list[float]) -> float:
    """Probability that a random positive outranks a random negative (ties count half)."""
    if not pos or not neg:
        return float("nan")
    p = np.asarray(pos)[:, None]
    n = np.asarray(neg)[None, :]
    return float(((p > n).sum() + 0.5 * (p == n).sum()) / (p.size * n.size))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 4000) -> np.ndarray:
    """Plain gradient descent on standardised features; returns weights on raw features
    with the bias last."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = (x - mu) / sd
    w = np.zeros(z.shape[1] + 1)
    zb = np.hstack([z, np.ones((len(z), 1))])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-zb @ w))
        grad = zb.T @ (p - y) / len(y) + l2 * np.r_[w[:-1], 0]
        w -= 0.5 * grad
    raw = w[:-1] / sd
    bias = w[-1] - (w[:-1] * mu / sd).sum()
    return np.r_[raw, bias]


def _tuples(v: Any) -> Any:
    return tuple(_tuples(x) for x in v) if isinstance(v, list) else v


def _scored(rec: dict, key: str = "scored") -> list[Scored]:
    """The record's suspects as :class:`Scored`, parsed once per record (the analysis
    sweeps thresholds over the same records) and kept in it under a private key."""
    memo = f"_parsed_{key}"
    if memo not in rec:
        rec[memo] = [
            Scored(**{k: _tuples(v) for k, v in s.items() if k != "span"}) for s in rec.get(key, [])
        ]
    parsed: list[Scored] = rec[memo]
    return parsed


def _best(s: Scored) -> str:
    return s.candidates[int(np.argmax(suggestion_scores(s)))].lower()


def _substitutions(rec: dict) -> list[list]:
    """The spinner's substitutions one by one (caches from before they were recorded:
    its changes, where substitutions separated only by spaces are merged)."""
    subs: list[list] = rec.get("substitutions") or rec["truth"]
    return subs


def _overlapping(subs: list[list], s0: int, s1: int) -> list[int]:
    """Indices of the substitutions overlapping characters [s0, s1)."""
    return [i for i, u in enumerate(subs) if u[0] < s1 and s0 < u[1]]


def word_eval(recs: list[dict], min_prob: float) -> dict[str, float]:
    """Word level against the spinner's record. A flag is right when it lies inside a
    change; recall is the share of substitutions a right flag overlaps; a right flag is
    restored when its best suggestion is the original of the substitution(s) it covers
    ("restored_top1") or of its whole change, merged neighbours included
    ("restored_top1_whole_change", stricter where two substitutions touch). Suggestions
    come from the second reading (unspin.reread) where stage 1 read the flag again (the
    flags of the shipped calibration; "reread_share" says for how many right flags),
    else from the first; "restored_top1_first_reading" is the first reading's alone."""
    tp = n_flag = n_true = found = 0
    restored = restored_whole = restored_first = n_reread = 0
    false_orig = words_orig = 0
    for rec in recs:
        scored = _scored(rec)
        again = {(s.start, s.end): s for s in _scored(rec, "reread")}
        span_of = {(s["start"], s["end"]): s["span"] for s in rec["scored"]}
        # As `check` flags: a document the spin score calls clean keeps no flags.
        flags = judge(scored, rec["content"], min_prob=min_prob).flags
        truth = rec["truth"]
        if rec["kind"] == "orig":
            false_orig += len(flags)
            words_orig += rec["words"]
            continue
        subs = _substitutions(rec)
        n_true += len(subs)
        n_flag += len(flags)
        hit_subs: set[int] = set()
        for f in flags:
            s0, s1 = span_of[(f.start, f.end)]
            hit = [t for t in truth if t[0] <= s0 and s1 <= t[1]]
            if not hit:
                continue
            tp += 1
            covered = _overlapping(subs, s0, s1)
            hit_subs.update(covered)
            right = (hit[0][2].lower(), " ".join(subs[i][2] for i in covered).lower())
            first = f.best.text.lower()
            best = _best(again[(f.start, f.end)]) if (f.start, f.end) in again else first
            n_reread += (f.start, f.end) in again
            restored_whole += best == right[0]
            restored += best in right
            restored_first += first in right
        found += len(hit_subs)
    return {
        "precision": tp / n_flag if n_flag else 0.0,
        "recall": found / n_true if n_true else 0.0,
        "restored_top1": restored / tp if tp else 0.0,
        "restored_top1_whole_change": restored_whole / tp if tp else 0.0,
        "restored_top1_first_reading": restored_first / tp if tp else 0.0,
        "reread_share": n_reread / tp if tp else 0.0,
        "false_flags_per_500w": 500 * false_orig / words_orig if words_orig else 0.0,
    }


def baseline_word_eval(recs: list[dict], zipf_max: float) -> dict:
    """Rare-word baseline: flag suspects whose written form is rarer than ``zipf_max``."""
    tp = n_flag = n_true = found = 0
    for rec in recs:
        if rec["kind"] == "orig":
            continue
        subs = _substitutions(rec)
        n_true += len(subs)
        hit_subs: set[int] = set()
        for s in rec["scored"]:
            if s["zipf"] < zipf_max:
                n_flag += 1
                s0, s1 = s["span"]
                if any(t[0] <= s0 and s1 <= t[1] for t in rec["truth"]):
                    tp += 1
                    hit_subs.update(_overlapping(subs, s0, s1))
        found += len(hit_subs)
    return {
        "precision": tp / n_flag if n_flag else 0.0,
        "recall": found / n_true if n_true else 0.0,
    }


def doc_features(rec: dict, min_prob: float) -> dict[str, float]:
    scored = _scored(rec)
    return features(flags_from(scored, min_prob=min_prob), rec["content"], scored)


def word_dataset(recs: list[dict], stacked: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of every suspect with left context (label: inside a change);
    ``stacked``: the second stage's features."""
    names = list(calibration.STACK_WEIGHTS if stacked else calibration.WORD_WEIGHTS)
    xs, ys = [], []
    for rec in recs:
        scored = _scored(rec)
        feats = stack_features(scored) if stacked else [word_features(s) for s in scored]
        for raw, s, f in zip(rec["scored"], scored, feats, strict=True):
            if not s.has_left_context:
                continue
            xs.append([f[k] for k in names])
            s0, s1 = raw["span"]
            ys.append(any(t[0] <= s0 and s1 <= t[1] for t in rec["truth"]))
    return np.array(xs), np.array(ys, dtype=float)


def fit_word_models(cal: list[dict]) -> None:
    """Both stages of the word model, fitted on calibration documents, set in
    :mod:`unspin.calibration`."""
    names = list(calibration.WORD_WEIGHTS)
    x, y = word_dataset(cal)
    w = fit_logistic(x, y)
    calibration.WORD_WEIGHTS = dict(zip(names, (float(v) for v in w[:-1]), strict=True))
    calibration.WORD_BIAS = float(w[-1])
    names2 = [*names, "doc_logit"]
    calibration.STACK_WEIGHTS = dict.fromkeys(names2, 0.0)
    x, y = word_dataset(cal, stacked=True)
    w = fit_logistic(x, y)
    calibration.STACK_WEIGHTS = dict(zip(names2, (float(v) for v in w[:-1]), strict=True))
    calibration.STACK_BIAS = float(w[-1])


def fit_doc_model(cal: list[dict]) -> None:
    """The document score, logistic regression on calibration documents over
    detect.features(), set in :mod:`unspin.calibration` (its features do not depend on
    the flag threshold)."""
    names = list(calibration.SCORE_WEIGHTS)
    x = np.array([[doc_features(r, calibration.MIN_WORD_PROB)[k] for k in names] for r in cal])
    y = np.array([r["kind"] == "spun" for r in cal], dtype=float)
    w = fit_logistic(x, y)
    calibration.SCORE_WEIGHTS = dict(zip(names, (float(v) for v in w[:-1]), strict=True))
    calibration.SCORE_BIAS = float(w[-1])


def rare_share(rec: dict) -> float:
    return sum(s["zipf"] < 3.5 for s in rec["scored"]) / max(1, rec["content"])


def analyse(args: argparse.Namespace) -> None:
    recs = [json.loads(line) for line in (args.out / "detect_cache.jsonl").open()]
    cal = [r for r in recs if r["split"] == "cal"]
    ev = [r for r in recs if r["split"] == "eval"]
    print(f"documents: calibration {len(cal)}, evaluation {len(ev)}")

    # 1. Word level, on calibration: for each frequency discount fit the word model and
    # the document model (a document it calls clean keeps no flags), then take the
    # lowest probability threshold (most recall) that keeps false flags on un-spun text
    # <= 1 per 500 words and precision >= 0.8 at 30%; failing that, the threshold with
    # the best recall under the false-flag limit alone.
    if args.frozen:
        fitted_elsewhere(args, cal, ev)
        return
    best = None
    for discount in (0.0, 0.25, 0.5, 0.75, 1.0):
        calibration.FREQ_DISCOUNT = discount
        fit_word_models(cal)
        fit_doc_model(cal)
        at30 = [r for r in cal if r["kind"] == "orig" or r["rate"] == 0.3]
        for p in np.arange(0.05, 0.99, 0.01):
            m = word_eval(at30, float(p))
            if m["false_flags_per_500w"] > 1.0:
                continue
            key = (m["precision"] >= 0.8, m["recall"])
            if best is None or key > best[0]:
                best = (
                    key,
                    discount,
                    float(p),
                    m,
                    (dict(calibration.WORD_WEIGHTS), calibration.WORD_BIAS),
                    (dict(calibration.STACK_WEIGHTS), calibration.STACK_BIAS),
                    (dict(calibration.SCORE_WEIGHTS), calibration.SCORE_BIAS),
                )
    assert best is not None
    _, discount, min_prob, m, (wweights, wbias), (sweights, sbias), (dweights, dbias) = best
    calibration.FREQ_DISCOUNT = discount
    calibration.WORD_WEIGHTS = {k: round(v, 4) for k, v in wweights.items()}
    calibration.WORD_BIAS = round(wbias, 4)
    calibration.STACK_WEIGHTS = {k: round(v, 4) for k, v in sweights.items()}
    calibration.STACK_BIAS = round(sbias, 4)
    calibration.MIN_WORD_PROB = round(min_prob, 3)
    calibration.SCORE_WEIGHTS = {k: round(v, 4) for k, v in dweights.items()}
    calibration.SCORE_BIAS = round(dbias, 4)
    print(f"chosen FREQ_DISCOUNT={discount} MIN_WORD_PROB={min_prob:.3f} (calibration at 30%: {m})")
    # Suggestions: which discount and ranker weight would restore most correctly flagged
    # words on calibration. Reported, not applied: stage 1 ranked the first reading's
    # suggestions with the shipped values, and the second reading's context is made of
    # them, so changing them here would describe a run that did not happen. (The shipped
    # values were chosen this way when there was one reading.)
    spun_cal = [r for r in cal if r["kind"] == "spun"]
    shipped = (calibration.RANK_DISCOUNT, calibration.RANK_PRIOR)
    restored = {}
    for rank in np.arange(0.0, 2.01, 0.25):
        for prior in np.arange(0.0, 3.01, 0.25):
            calibration.RANK_DISCOUNT, calibration.RANK_PRIOR = float(rank), float(prior)
            restored[(float(rank), float(prior))] = word_eval(spun_cal, min_prob)["restored_top1"]
    best_rank = max(restored, key=lambda k: restored[k])
    calibration.RANK_DISCOUNT, calibration.RANK_PRIOR = shipped
    print(
        f"kept RANK_DISCOUNT={shipped[0]} RANK_PRIOR={shipped[1]} (restored on calibration: "
        f"{restored[shipped]:.3f}; best on calibration {best_rank}: {restored[best_rank]:.3f}; "
        f"with the gain alone: {restored[(0.0, 0.0)]:.3f})"
    )

    # 2. Document score: fitted with the word model chosen above (fit_doc_model).
    names = list(calibration.SCORE_WEIGHTS)

    def score(rec: dict) -> float:
        f = doc_features(rec, min_prob)
        z = calibration.SCORE_BIAS + sum(calibration.SCORE_WEIGHTS[k] * f[k] for k in names)
        return 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))

    # 3. Evaluation.
    neg = [score(r) for r in ev if r["kind"] == "orig"]
    neg_base = [rare_share(r) for r in ev if r["kind"] == "orig"]
    result: dict[str, object] = {"chosen": {"FREQ_DISCOUNT": discount, "MIN_WORD_PROB": min_prob}}
    for rate in RATES:
        pos = [score(r) for r in ev if r["rate"] == rate]
        pos_base = [rare_share(r) for r in ev if r["rate"] == rate]
        at = [r for r in ev if r["kind"] == "orig" or r["rate"] == rate]
        wm = word_eval(at, min_prob)
        bm = baseline_word_eval(at, 3.0)
        at_r60 = best_precision_at_recall(at)
        result[f"{int(rate * 100)}%"] = {
            "word_best_precision_at_recall_0.6": at_r60,
            "doc_auc": auc(pos, neg),
            "doc_auc_rare_word_baseline": auc(pos_base, neg_base),
            "word": wm,
            "word_rare_word_baseline(zipf<3)": bm,
        }
    result["all rates"] = {"word": word_eval(ev, min_prob)}
    result["calibration_block"] = {
        "FREQ_DISCOUNT": discount,
        "RANK_DISCOUNT": calibration.RANK_DISCOUNT,
        "RANK_PRIOR": calibration.RANK_PRIOR,
        "WORD_BIAS": calibration.WORD_BIAS,
        "WORD_WEIGHTS": calibration.WORD_WEIGHTS,
        "STACK_BIAS": calibration.STACK_BIAS,
        "STACK_WEIGHTS": calibration.STACK_WEIGHTS,
        "MIN_WORD_PROB": calibration.MIN_WORD_PROB,
        "SCORE_BIAS": calibration.SCORE_BIAS,
        "SCORE_WEIGHTS": calibration.SCORE_WEIGHTS,
    }
    secs = [r["seconds"] * 500 / max(1, r["words"]) for r in ev + cal]
    result["seconds_per_500_words"] = {
        "median": float(np.median(secs)),
        "p95": float(np.percentile(secs, 95)),
    }
    run_meta = args.out / "detect_run.json"
    if run_meta.exists():
        result["run"] = json.loads(run_meta.read_text())
    print(json.dumps(result, indent=2))
    (args.out / "detect_bench.json").write_text(json.dumps(result, indent=2))


def best_precision_at_recall(recs: list[dict], recall: float = 0.6) -> dict | None:
    """The curve's point the issue names: the best precision at recall >= 0.6 (any
    threshold, on these documents), with the false flags it costs."""
    best = None
    for p in np.arange(0.02, 0.99, 0.01):
        m = word_eval(recs, float(p))
        if m["recall"] >= recall and (best is None or m["precision"] > best["precision"]):
            best = {**m, "threshold": round(float(p), 2)}
    return best


def fitted_elsewhere(args: argparse.Namespace, cal: list[dict], ev: list[dict]) -> None:
    """Evaluate the shipped calibration (src/unspin/calibration.py, fitted on the MyThes
    spinner) on every document of this cache, without refitting: how the model carries
    over to a spinner it was not fitted on."""
    names = list(calibration.SCORE_WEIGHTS)
    docs = cal + ev

    def score(rec: dict) -> float:
        f = doc_features(rec, calibration.MIN_WORD_PROB)
        z = calibration.SCORE_BIAS + sum(calibration.SCORE_WEIGHTS[k] * f[k] for k in names)
        return 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))

    neg = [score(r) for r in docs if r["kind"] == "orig"]
    result: dict[str, object] = {"frozen": True, "documents": len(docs)}
    for rate in RATES:
        pos = [score(r) for r in docs if r["rate"] == rate]
        at = [r for r in docs if r["kind"] == "orig" or r["rate"] == rate]
        result[f"{int(rate * 100)}%"] = {
            "doc_auc": auc(pos, neg),
            "doc_auc_rare_word_baseline": auc(
                [rare_share(r) for r in docs if r["rate"] == rate],
                [rare_share(r) for r in docs if r["kind"] == "orig"],
            ),
            "word": word_eval(at, calibration.MIN_WORD_PROB),
            "word_best_precision_at_recall_0.6": best_precision_at_recall(at),
            "word_rare_word_baseline(zipf<3)": baseline_word_eval(at, 3.0),
        }
    result["all rates"] = {"word": word_eval(docs, calibration.MIN_WORD_PROB)}
    print(json.dumps(result, indent=2))
    (args.out / "detect_bench_frozen.json").write_text(json.dumps(result, indent=2))


def tortured(args: argparse.Namespace) -> None:
    """Real tortured phrases: is the expected phrase among the lexicon's candidates?"""
    lexicon = Lexicon()
    rows = list(
        csv.DictReader((args.data / "tortured" / "tortured_phrases.tsv").open(), delimiter="\t")
    )
    rows = [r for r in rows if "?" not in r["expected_phrase"]]
    found = first = 0
    for r in rows:
        cands = [c.text for c in lexicon.candidates(r["spun_phrase"].lower(), 8)]
        exp = r["expected_phrase"].lower()
        found += exp in cands
        first += bool(cands) and cands[0] == exp
    out = {
        "pairs": len(rows),
        "expected_among_candidates": found / len(rows),
        "expected_ranked_first": first / len(rows),
    }
    print(json.dumps(out))
    (args.out / "detect_tortured.json").write_text(json.dumps(out, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=HERE.parents[1] / "shared" / "data")
    ap.add_argument("--n", type=int, default=120, help="articles (half calibrate, half evaluate)")
    ap.add_argument("--seed", type=int, default=3)
    # The ranker and the probe are fitted on the articles after the first --n (40): an
    # evaluation of the shipped calibration on unseen articles starts beyond them, e.g.
    # `--offset 300 --n 100`, then `--analyse --frozen`.
    ap.add_argument("--offset", type=int, default=0, help="skip this many articles first")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--thesaurus", choices=sorted(THESAURI), default="mythes")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--analyse", action="store_true", help="only fit and evaluate the cache")
    ap.add_argument("--tortured", action="store_true", help="only the tortured-phrase check")
    ap.add_argument(
        "--frozen",
        action="store_true",
        help="with --analyse: evaluate the shipped calibration on the whole cache, no refit",
    )
    ap.add_argument("--load-times", action="store_true", help="only measure model load times")
    ap.add_argument(
        "--fit-ranker", action="store_true", help="only fit and check the candidate ranker"
    )
    ap.add_argument("--ranker-n", type=int, default=60, help="articles for --fit-ranker")
    ap.add_argument(
        "--fit-probe", action="store_true", help="only fit the hidden-state probe (unspin.probe)"
    )
    ap.add_argument("--probe-n", type=int, default=160, help="articles for --fit-probe")
    # Layer 20 of SmolLM2-135M's 30 read best (AUC 4-fold by article on articles 260-299:
    # layer 8: 0.857, 12: 0.881, 16: 0.884, 20: 0.888, 24: 0.870, 30 (the last): 0.830).
    ap.add_argument("--probe-layer", type=int, default=20, help="whose hidden states")
    ap.add_argument(
        "--probe-out",
        type=Path,
        default=HERE.parent / "src" / "unspin" / "probes" / "smollm2.npz",
        help="where --fit-probe writes the weights",
    )
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.tortured:
        tortured(args)
    elif args.load_times:
        print(json.dumps(load_times(args)))
    elif args.fit_ranker:
        fit_ranker(args)
    elif args.fit_probe:
        fit_probe(args)
    else:
        if not args.analyse:
            run(args)
        analyse(args)


if __name__ == "__main__":
    main()
