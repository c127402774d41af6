"""Cluster benchmark: `unspin cluster` on a synthetic crawl, beside datasketch MinHashLSH.

Crawl (from ../shared/data/news, research-only, never copied into the repo):
  * the articles, less those that reuse another article's text (word 5-gram containment
    >= 0.3: Reuters repeats its wire stories), so that the truth is clean;
  * 2,000 originals, each spun 0 to 8 times onto six fake farm sites. Each farm has its
    own spinner (MyThes or the finnlp WordNet list, bench/spinner.py) and rate (10-70% of
    content words); each copy gets its own spinner seed, clause swaps and dropped
    sentences on some farms, and half of the copies a glued headline of another story;
    copies of dated (Reuters) originals are dated 1-20 days later;
  * every other article as a singleton; among them the 500 same-topic look-alikes (most
    names shared with an original of the same category) are counted apart.
Truth: one group per original and its copies. Scores: adjusted Rand index (ARI),
pairwise precision/recall, root accuracy, substitution precision/recall against the
spinner's own record of changes.

Modes, in the same process and the same run: `unspin cluster` (verified: alignment and
substitutions), `unspin cluster --no-verify` (triage: LSH candidates kept at
TRIAGE_MIN_JACCARD, no alignment), and the baseline.

`--sweep-jaccard` instead prints ARI and pairwise precision/recall of triage groups per
estimated-Jaccard threshold (how TRIAGE_MIN_JACCARD was chosen, on `--seed 7`: not the
crawl the bench reports).

Baseline, in the same process: datasketch MinHash (128 permutations) of word 5-gram
sets, MinHashLSH at threshold 0.7, groups by union-find, timed end to end (tokenising
included), one process as it is usually run. unspin runs with 2 worker processes.

Scaling: crawls of 10k/40k/100k documents, each a run in a fresh process reading JSONL
(peak memory measured there). Larger crawls repeat the base crawl under a different
vocabulary permutation per replica (function words among function words, other words
among words of similar frequency, digits permuted, capitalisation kept): each replica
has the same campaign structure and statistics, and replicas do not copy one another.
(Replicating with light perturbation as bench/scale_bench.py does would make every
replica a near-copy of its template: one campaign.) Between consecutive sizes, each
runner's documents per second and its ratio to the baseline's ("marginal": throughput
once fixed costs are paid, Ray Data's worker imports and actors among them).

Run: `make bench-cluster` or
`python bench/cluster_bench.py --data ../shared/data [--sizes 10000,40000,100000] [--no-ray]`,
`python bench/cluster_bench.py --data ../shared/data --seed 7 --sweep-jaccard`.
Before/after comparisons of one runner: `--write-crawl crawl.jsonl` writes the crawl and
stops; `--run-one crawl.jsonl --mode local|local-noverify|ray|ray-noverify|baseline
[--out-file records.jsonl] [--ray-address auto]` clusters it in this process and prints
the figures as JSON (run it with `PYTHONPATH=<other checkout>/src` for the other side;
`--ray-address` joins a running Ray cluster; `--warm-up small.jsonl` runs an untimed Ray job
on that crawl first, in the same Ray: the whole bench writes unspin's example articles for
it and reports each Ray run both ways, "cold" (the job is the Ray's first: it starts the
worker processes, imports Ray Data there, makes Ray Data's actors) and "warm" (a driver
that keeps its Ray, as a notebook or a service does, has paid those once)); with
`--free strays,alignment` those verification stages cost nothing (a what-if: wrong output,
telling time).
`--member-costs crawl.jsonl` prints the milliseconds per verified member, stage by
stage.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from datasketch import MinHash, MinHashLSH

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spinner import Spinner, Spun, Thesaurus, load_thesaurus
from trace_bench import category, load_articles, names, shingles5

from unspin import Document
from unspin.cluster import (
    TRIAGE_MIN_JACCARD,
    ClusterOptions,
    candidate_pairs,
    cluster_documents,
    cluster_inputs,
)
from unspin.cluster.candidates import UnionFind
from unspin.cluster.sketching import SketchTable, sketch_columns
from unspin.fingerprint import FingerprintParams
from unspin.function_words import FUNCTION_WORDS

HERE = Path(__file__).resolve().parent
WORD = re.compile(r"\w+")
ALPHA = re.compile(r"[A-Za-z]+")
# farm site -> (thesaurus, spin rate, clause-swap share, sentence-drop share)
FARMS = {
    "dailybuzz.example": ("mythes", 0.3, 0.3, 0.1),
    "newshub24.example": ("mythes", 0.5, 0.3, 0.0),
    "trendfeed.example": ("finnlp", 0.5, 0.0, 0.1),
    "worldnow.example": ("finnlp", 0.7, 0.3, 0.1),
    "infopulse.example": ("mythes", 0.1, 0.0, 0.0),
    "viralwire.example": ("finnlp", 0.3, 0.3, 0.0),
}


@dataclass
class Item:
    doc: Document
    truth: str  # id of the original this document belongs with
    spun: Spun | None = None  # for copies: the spinner's record of changes
    lookalike: bool = False


# -- the crawl --------------------------------------------------------------------------------


def dedupe(arts: list[dict[str, Any]], limit: float = 0.3) -> tuple[list[dict[str, Any]], int]:
    """Articles that do not reuse an earlier kept article's text (5-gram containment)."""
    index: dict[str, list[int]] = defaultdict(list)
    kept: list[dict[str, Any]] = []
    for a in arts:
        sh = shingles5(a["text"])
        shared: Counter[int] = Counter()
        for s in sh:
            for k in index.get(s, ()):
                shared[k] += 1
        if shared and max(shared.values()) >= limit * len(sh):
            continue
        for s in sh:
            index[s].append(len(kept))
        kept.append(a)
    return kept, len(arts) - len(kept)


def build_crawl(
    data: Path, n_originals: int, seed: int, n_lookalikes: int = 500
) -> tuple[list[Item], dict[str, Any]]:
    rng = random.Random(seed)
    arts = load_articles(data)
    rng.shuffle(arts)
    arts, dropped = dedupe(arts)
    thesauri: dict[str, Thesaurus] = {
        "mythes": load_thesaurus(data / "spinner-dicts" / "mythes_en_us.jsonl.gz"),
        "finnlp": load_thesaurus(data / "spinner-dicts" / "finnlp_synonyms.jsonl"),
    }
    spinners = {(t, k): Spinner(th, seed=k) for t, th in thesauri.items() for k in range(8)}
    originals, rest = arts[:n_originals], arts[n_originals:]
    titles = [a["title"] for a in arts]
    items: list[Item] = []
    n_spins = Counter[int]()
    for a in originals:
        site = "reuters.example" if a["id"].startswith("reuters") else "bbc.example"
        url = f"https://{site}/{a['id']}"
        items.append(Item(Document(a["id"], a["text"], a["title"], url, a["date"]), a["id"]))
        k = rng.randint(0, 8)
        n_spins[k] += 1
        for j in range(k):
            farm = rng.choice(list(FARMS))
            th, rate, reorder, drop = FARMS[farm]
            headline = rng.choice(titles) if rng.random() < 0.5 else None
            sp = spinners[(th, j)].spin(
                a["text"], rate, reorder=reorder, drop=drop, headline=headline
            )
            when = None
            if a["date"]:
                when = (
                    date.fromisoformat(a["date"][:10]) + timedelta(rng.randint(1, 20))
                ).isoformat()
            doc = Document(
                f"{farm}/{a['id']}/{j}", sp.text, None, f"https://{farm}/{a['id']}-{j}.html", when
            )
            items.append(Item(doc, a["id"], sp))
    by_cat: dict[str, list[set[str]]] = defaultdict(list)
    for a in originals:
        by_cat[category(a)].append(names(a["text"]))
    overlap = {}
    for a in rest:
        na = names(a["text"])
        overlap[a["id"]] = max((len(na & nb) for nb in by_cat[category(a)]), default=0)
    looks = set(sorted(overlap, key=lambda k: (-overlap[k], k))[:n_lookalikes])
    for a in rest:
        look = a["id"] in looks
        site = "reuters.example" if a["id"].startswith("reuters") else "bbc.example"
        doc = Document(a["id"], a["text"], a["title"], f"https://{site}/{a['id']}", a["date"])
        items.append(Item(doc, a["id"], lookalike=look))
    rng.shuffle(items)
    info = {
        "articles_reusing_another_dropped": dropped,
        "originals": len(originals),
        "copies": sum(1 for it in items if it.spun is not None),
        "singletons": len(rest),
        "lookalike_singletons": len(looks),
        "lookalike_min_shared_names": min((overlap[k] for k in looks), default=0),
        "originals_by_copy_count": dict(sorted(n_spins.items())),
        "documents": len(items),
    }
    return items, info


def permutation(texts: Sequence[str], seed: int) -> tuple[dict[str, str], dict[int, int]]:
    """A vocabulary permutation: function words among themselves, other words within
    blocks of 50 words of similar frequency; and a digit permutation."""
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(w.lower() for w in ALPHA.findall(t))
    func = sorted(w for w in counts if w in FUNCTION_WORDS)
    other = sorted((w for w in counts if w not in FUNCTION_WORDS), key=lambda w: (-counts[w], w))
    mapping: dict[str, str] = {}
    for block in [func] + [other[i : i + 50] for i in range(0, len(other), 50)]:
        shuffled = block[:]
        rng.shuffle(shuffled)
        mapping.update(zip(block, shuffled, strict=True))
    digits = list("0123456789")
    rng.shuffle(digits)
    return mapping, str.maketrans("0123456789", "".join(digits))


def permute(text: str, mapping: dict[str, str], digits: dict[int, int]) -> str:
    def sub(m: re.Match[str]) -> str:
        w = m.group()
        new = mapping.get(w.lower(), w.lower())
        if w.isupper() and len(w) > 1:
            return new.upper()
        if w[0].isupper():
            return new[:1].upper() + new[1:]
        return new

    return ALPHA.sub(sub, text).translate(digits)


def replicas(items: list[Item], n: int, seed: int) -> list[tuple[Document, str]]:
    """``n`` documents: the base crawl, then permuted replicas of it."""
    out = [(it.doc, it.truth) for it in items[:n]]
    r = 1
    while len(out) < n:
        mapping, digits = permutation([it.doc.text for it in items], seed + r)
        for it in items[: n - len(out)]:
            d = it.doc
            url = d.url.replace("https://", f"https://r{r}.") if d.url else None
            doc = Document(f"{d.id}~{r}", permute(d.text, mapping, digits), None, url, d.date)
            out.append((doc, f"{it.truth}~{r}"))
        r += 1
    return out


def write_warm_up(path: Path) -> None:
    """A crawl for a Ray job to warm up on: unspin's own example articles (one spun copy
    among them), undated, so the job verifies a cluster and loads word frequencies."""
    from unspin.testing import example_texts

    texts = example_texts()
    write_jsonl(path, [Document(f"warm-up-{i}", t) for i, t in enumerate(texts)])


def write_jsonl(path: Path, docs: Sequence[Document]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for d in docs:
            rec = {"id": d.id, "text": d.text, "title": d.title, "url": d.url, "date": d.date}
            f.write(json.dumps(rec) + "\n")


# -- scores -----------------------------------------------------------------------------------


def write_records(path: Path, records: Sequence[dict[str, Any]]) -> None:
    """Cluster records as JSONL (to diff two runs: same clusters, roots, substitutions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")


def _c2(x: int) -> int:
    return x * (x - 1) // 2


def pair_scores(truth: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """Adjusted Rand index (Hubert & Arabie, from the contingency table) and pairwise
    precision/recall of two labelings of the same documents."""
    n = len(truth)
    both = sum(_c2(v) for v in Counter(zip(truth, pred, strict=True)).values())
    t = sum(_c2(v) for v in Counter(truth).values())
    p = sum(_c2(v) for v in Counter(pred).values())
    expected = t * p / _c2(n) if n > 1 else 0.0
    top = (t + p) / 2
    ari = (both - expected) / (top - expected) if top != expected else 1.0
    return {
        "ari": ari,
        "pair_precision": both / p if p else 1.0,
        "pair_recall": both / t if t else 1.0,
        "true_pairs": t,
        "predicted_pairs": p,
    }


def labels_from_records(ids: Sequence[str], records: Sequence[dict[str, Any]]) -> list[str]:
    of = {m: f"c{r['cluster']}" for r in records for m in r["members"]}
    return [of.get(i, f"s:{i}") for i in ids]


# -- baseline ---------------------------------------------------------------------------------


def minhash_5grams(text: str) -> MinHash:
    w = WORD.findall(text.lower())
    sh = {" ".join(w[i : i + 5]) for i in range(max(1, len(w) - 4))}
    m = MinHash(num_perm=128)
    m.update_batch([s.encode() for s in sh])
    return m


def baseline(docs: Sequence[Document], threshold: float = 0.7) -> list[str]:
    """datasketch MinHashLSH over word 5-grams, groups by union-find; labels."""
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    uf = UnionFind(len(docs))
    for i, d in enumerate(docs):
        m = minhash_5grams(d.text)
        for j in lsh.query(m):
            uf.union(i, j)
        lsh.insert(i, m)
    return [f"b{uf.find(i)}" for i in range(len(docs))]


def baseline_sweep(docs: Sequence[Document], thresholds: Sequence[float]) -> dict[float, list[str]]:
    hashes = [minhash_5grams(d.text) for d in docs]
    out = {}
    for th in thresholds:
        lsh = MinHashLSH(threshold=th, num_perm=128)
        uf = UnionFind(len(docs))
        for i, m in enumerate(hashes):
            for j in lsh.query(m):
                uf.union(i, j)
            lsh.insert(i, m)
        out[th] = [f"b{uf.find(i)}" for i in range(len(docs))]
    return out


# -- one run in a fresh process ---------------------------------------------------------------


FREE_STAGES = ("strays", "alignment")


def make_free(stages: list[str]) -> None:
    """What-if runs: make verification stages cost nothing (stray lines: none found;
    alignment: every member matches its root word for word, no substitutions), to see
    how far the run's time can drop by speeding up the rest. The output is wrong; the
    time says what those stages cost in a whole run. Patched before the workers fork."""
    import unspin.cluster.records as records

    verify_module = sys.modules["unspin.cluster.verify"]
    from unspin.align import Alignment, Encoded

    for stage in stages:
        if stage == "strays":
            records.find_strays = lambda text, title=None: []
        elif stage == "alignment":

            def aligned(a: Encoded, b: Encoded) -> Alignment:
                return Alignment((), a.n_words, b.n_words, a.n_words, b.n_words, a.n_words)

            verify_module.align_encoded = aligned
        else:
            raise SystemExit(f"--free: unknown stage {stage!r} (known: {', '.join(FREE_STAGES)})")


def run_one(
    path: Path,
    mode: str,
    workers: int,
    out: Path | None,
    address: str | None = None,
    warm_up: Path | None = None,
) -> dict[str, Any]:
    """Cluster (or run the baseline over) one JSONL crawl; figures as JSON. ``warm_up``
    (Ray modes): a job on that crawl first, in the same Ray, not timed."""
    t0 = time.perf_counter()
    res: dict[str, Any] = {"mode": mode}
    if mode == "baseline":
        from unspin.readers import read_inputs

        docs = [d for d in read_inputs([str(path)]) if isinstance(d, Document)]
        labels = baseline(docs)
        res["docs"] = len(docs)
        res["seconds"] = time.perf_counter() - t0
        if out:
            out.write_text(json.dumps(dict(zip([d.id for d in docs], labels, strict=True))))
    else:
        from unspin.cluster import write_result

        opts = ClusterOptions(workers=workers, verify=not mode.endswith("-noverify"))
        if mode.startswith("ray"):
            from unspin.cluster.ray_job import cluster_inputs_ray, start_ray

            start_ray(address, num_cpus=workers)
            res["ray_start_seconds"] = time.perf_counter() - t0
            if warm_up:
                # A driver that keeps its Ray (a notebook, a service) pays Ray's one-off
                # costs once: worker processes started, Ray Data imported there, its
                # actors made, wordfreq loaded. The job after that is what repeats.
                t0 = time.perf_counter()
                cluster_inputs_ray([str(warm_up)], None, opts).close()
                res["warm_up_seconds"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = cluster_inputs_ray([str(path)], None, opts)
        else:
            result = cluster_inputs([str(path)], None, opts)
        with result:
            if out:
                write_result(result, str(out))
            res.update(
                docs=result.documents,
                clusters=result.n_clusters,
                clustered=result.clustered_documents,
                stats=result.stats,
                timings=result.timings,
            )
        res["seconds"] = time.perf_counter() - t0
    res["docs_per_s"] = res["docs"] / res["seconds"]
    res["peak_rss_mb"] = peak_rss_mb()
    # The largest worker process (forked: pages shared with this process count too).
    res["peak_rss_worker_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return res


def cpu_seconds() -> float:
    """User and system CPU time of this process and its reaped children."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not carried over
    from the parent across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Scaling row keys of each runner's seconds, by the name the marginal rates take.
_TIMED = {
    "verified": "seconds",
    "triage": "no_verify_seconds",
    "ray_verified": "ray_seconds",
    "ray_triage": "ray_noverify_seconds",
}


def marginal_rates(scaling: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Documents per second between consecutive crawl sizes, for each runner and the
    baseline, and each runner's ratio to the baseline: throughput once the fixed costs
    (worker start, Ray Data's first run) are paid, the same for every runner."""
    out = []
    for a, b in pairwise(scaling):
        n = b["docs"] - a["docs"]
        base = n / (b["baseline_seconds"] - a["baseline_seconds"])
        row: dict[str, Any] = {"from": a["docs"], "to": b["docs"], "baseline": base}
        for name, key in _TIMED.items():
            if key in a and key in b:
                row[name] = n / (b[key] - a[key])
                row[f"{name}_vs_baseline"] = row[name] / base
        out.append(row)
    return out


def in_subprocess(
    path: Path, mode: str, workers: int, out: Path | None, warm_up: Path | None = None
) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--run-one", str(path), "--mode", mode]
    cmd += ["--workers", str(workers)] + (["--out-file", str(out)] if out else [])
    cmd += ["--warm-up", str(warm_up)] if warm_up else []
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"{mode} run failed:\n{p.stderr[-3000:]}")
    res: dict[str, Any] = json.loads(p.stdout.strip().splitlines()[-1])
    return res


# -- main -------------------------------------------------------------------------------------


def substitution_scores(
    items: Sequence[Item], records: Sequence[dict[str, Any]]
) -> dict[str, float]:
    """Substitutions of copies whose cluster root is their original, against the spinner's
    record: (start, end, original) exact matches."""
    spun = {it.doc.id: it for it in items if it.spun is not None}
    tp = n_pred = n_true = 0
    for r in records:
        for v in r["variants"]:
            it = spun.get(v["id"])
            if it is None or it.truth != r["root"] or it.spun is None:
                continue
            truth = {(c.start, c.end, c.original.lower()) for c in it.spun.changes}
            pred = {(s["start"], s["end"], s["original"].lower()) for s in v["substitutions"]}
            tp += len(truth & pred)
            n_pred += len(pred)
            n_true += len(truth)
    return {
        "precision": tp / n_pred if n_pred else 0.0,
        "recall": tp / n_true if n_true else 0.0,
    }


def root_scores(id_truth: dict[str, str], records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Share of clusters holding their original whose root is that original, overall and
    by what decided the root."""
    ok = n = 0
    by_how: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        groups = Counter(id_truth[m] for m in r["members"])
        main_group = groups.most_common(1)[0][0]
        if main_group in r["members"]:  # the original is in the cluster
            n += 1
            ok += r["root"] == main_group
            by_how[r["root_by"]][0] += r["root"] == main_group
            by_how[r["root_by"]][1] += 1
    return {
        "root_accuracy": ok / n if n else 0.0,
        "roots_judged": n,
        "root_accuracy_by": {k: {"accuracy": a / m, "clusters": m} for k, (a, m) in by_how.items()},
    }


def jaccard_sweep(docs: Sequence[Document], truth: Sequence[str]) -> None:
    """Triage groups (candidate pairs at or above a threshold, union-find) per threshold."""
    params = FingerprintParams()
    table = SketchTable(params)
    for k in range(0, len(docs), 64):
        batch = docs[k : k + 64]
        sigs, bands = sketch_columns([d.text for d in batch], params)
        table.add_columns([(k + n, d.id, d.url, d.date) for n, d in enumerate(batch)], sigs, bands)
    table.finish()
    cands = candidate_pairs(table.band_keys, table.signatures, table.has_bands, min_jaccard=0.0)
    best = []
    for step in range(4, 25):
        th = step * 0.025
        uf = UnionFind(len(table))
        for (a, b), j in zip(cands.pairs.tolist(), cands.jaccard.tolist(), strict=True):
            if j >= th:
                uf.union(a, b)
        sc = pair_scores(truth, [f"g{uf.find(i)}" for i in range(len(table))])
        best.append((sc["ari"], th))
        print(
            f"min Jaccard {th:.3f}: ARI {sc['ari']:.5f}, pairwise precision "
            f"{sc['pair_precision']:.5f} recall {sc['pair_recall']:.5f}",
            flush=True,
        )
    top = max(a for a, _ in best)
    plateau = [th for a, th in best if a == top]
    print(
        f"best ARI {top:.5f} from {min(plateau):.3f} to {max(plateau):.3f} (midpoint "
        f"{(min(plateau) + max(plateau)) / 2:.3f}); TRIAGE_MIN_JACCARD is {TRIAGE_MIN_JACCARD}"
    )


def member_costs(path: Path, clusters: int) -> dict[str, float]:
    """Milliseconds per cluster member, one process, for the first ``clusters`` clusters
    of a verified run over the JSONL crawl at ``path``: what verifying a member costs,
    stage by stage (each member is analysed, coded, aligned with its root and its
    substitutions written, as :func:`unspin.cluster.verify.verify_component` does)."""
    from unspin.align import Codes, Encoded, align_encoded
    from unspin.clean import find_strays
    from unspin.cluster import CandidateDoc
    from unspin.cluster.local import relax_gc
    from unspin.cluster.records import member_of
    from unspin.readers import read_inputs
    from unspin.segment import analyze

    docs = {d.id: d for d in read_inputs([str(path)]) if isinstance(d, Document)}
    with cluster_inputs([str(path)], None, ClusterOptions(workers=2)) as res:
        recs = [r for _, r in zip(range(clusters), res.records(), strict=False)]
    # Garbage collection as in a verifying worker: without it, collections that walk
    # every analysis held so far were charged to whichever stage allocated (analysis
    # most: 0.24 ms per member instead of 0.13).
    relax_gc()
    cost = dict.fromkeys(("analysis", "stray lines", "coding", "alignment", "substitutions"), 0.0)
    n = 0
    for r in recs:
        cds = [
            CandidateDoc(k, d.id, d.text, d.url, None, d.date, d.title)
            for k, d in enumerate(docs[i] for i in r["members"])
        ]
        t0 = time.perf_counter()
        an = [analyze(c.text) for c in cds]
        t1 = time.perf_counter()
        strays = [[(x.start, x.end) for x in find_strays(c.text, c.title)] for c in cds]
        an = [a.without(st) for a, st in zip(an, strays, strict=True)]
        t2 = time.perf_counter()
        codes = Codes()
        en = [Encoded(a, codes) for a in an]
        t3 = time.perf_counter()
        alns = [align_encoded(en[m], en[0]) for m in range(1, len(en))]
        t4 = time.perf_counter()
        members = [member_of(cds[m], an[m], cds[0], an[0], alns[m - 1]) for m in range(1, len(en))]
        [m.to_json() for m in members]  # as EncodedCluster.of writes them
        t5 = time.perf_counter()
        for k, dt in zip(cost, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            cost[k] += dt
        n += len(cds)
    out = {k: v / n * 1e3 for k, v in cost.items()}
    out["total"] = sum(out.values())
    out["documents"] = n
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=HERE.parents[1] / "shared" / "data")
    ap.add_argument("--originals", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sizes", default="10000,40000,100000", help="scaling sizes; '' for none")
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--sweep-jaccard", action="store_true", help="triage threshold sweep only")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument(
        "--records", type=Path, help="write each mode's cluster records here (JSONL per mode)"
    )
    ap.add_argument("--write-crawl", type=Path, help="write the crawl as JSONL here and stop")
    ap.add_argument(
        "--write-size", type=int, default=0, help="--write-crawl: this many documents, as --sizes"
    )
    ap.add_argument(
        "--member-costs",
        type=Path,
        help="ms per verified member, stage by stage, over this JSONL crawl's first 600 clusters",
    )
    ap.add_argument("--run-one", type=Path, help="cluster this JSONL crawl only (see --mode)")
    ap.add_argument("--ray-address", help="--run-one: join this running Ray cluster")
    ap.add_argument(
        "--warm-up", type=Path, help="--run-one, Ray modes: an untimed job on this crawl first"
    )
    ap.add_argument("--mode", default="local", help="--run-one: local, ray, *-noverify, baseline")
    ap.add_argument("--out-file", type=Path, help="--run-one: write the cluster records here")
    ap.add_argument(
        "--free",
        default="",
        help="--run-one what-if: stages that cost nothing, comma-separated: "
        + ", ".join(FREE_STAGES),
    )
    args = ap.parse_args()
    if args.member_costs:
        print(json.dumps(member_costs(args.member_costs, 600)))
        return
    if args.run_one:
        if args.free:
            make_free(args.free.split(","))
        print(
            json.dumps(
                run_one(
                    args.run_one,
                    args.mode,
                    args.workers,
                    args.out_file,
                    args.ray_address,
                    args.warm_up,
                )
            )
        )
        return
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.data.is_dir():
        sys.exit(f"no data directory {args.data} (pass --data)")

    t = time.perf_counter()
    items, info = build_crawl(args.data, args.originals, args.seed)
    print(f"crawl: {json.dumps(info)} (built in {time.perf_counter() - t:.0f}s)", flush=True)
    docs = [it.doc for it in items]
    if args.write_crawl:
        n = args.write_size
        write_jsonl(args.write_crawl, [d for d, _ in replicas(items, n, args.seed)] if n else docs)
        print(f"wrote {args.write_crawl}")
        return
    ids = [d.id for d in docs]
    truth = [it.truth for it in items]
    if args.sweep_jaccard:
        jaccard_sweep(docs, truth)
        return
    result: dict[str, Any] = {"crawl": info, "workers": args.workers}

    # Both modes and the baseline, in this process, one after the other.
    id_truth = dict(zip(ids, truth, strict=True))
    look = {it.doc.id for it in items if it.lookalike}
    for name, verify in (("unspin", True), ("unspin_no_verify", False)):
        cpu = cpu_seconds()
        t = time.perf_counter()
        with cluster_documents(docs, ClusterOptions(workers=args.workers, verify=verify)) as res:
            ours_s = time.perf_counter() - t
            ours_cpu = cpu_seconds() - cpu  # the workers are reaped when the run ends
            records = list(res.records())
            if args.records:
                write_records(args.records / f"{name}.jsonl", records)
            stats = res.stats
            timings = res.timings
            sites = [s.to_dict() for s in res.sites]
        ours = pair_scores(truth, labels_from_records(ids, records))
        ours.update(
            seconds=ours_s,
            docs_per_s=len(docs) / ours_s,
            cpu_seconds=ours_cpu,
            clusters=len(records),
            **root_scores(id_truth, records),
            lookalikes_in_clusters=sum(1 for r in records for m in r["members"] if m in look),
            substitutions=substitution_scores(items, records),
            stats=stats,
            timings=timings,
        )
        result[name] = ours
        if verify:
            result["top_sites"] = sites[:8]
        shown = {k: v for k, v in ours.items() if k != "stats"}
        print(f"{name}: {json.dumps(shown)}", flush=True)

    # Baseline, same process, end to end.
    cpu = cpu_seconds()
    t = time.perf_counter()
    blabels = baseline(docs, 0.7)
    base_s = time.perf_counter() - t
    base_cpu = cpu_seconds() - cpu
    base = pair_scores(truth, blabels)
    base.update(seconds=base_s, docs_per_s=len(docs) / base_s, cpu_seconds=base_cpu, threshold=0.7)
    sweep = baseline_sweep(docs, (0.3, 0.5, 0.8))
    base["ari_at"] = {str(k): pair_scores(truth, v)["ari"] for k, v in sweep.items()}
    base["ari_at"]["0.7"] = base["ari"]
    result["datasketch"] = base
    print(f"datasketch: {json.dumps(base)}", flush=True)
    for name in ("unspin", "unspin_no_verify"):
        ours = result[name]
        # CPU time is steadier than wall time on a shared machine: what the same work
        # would take on two idle cores, against one core for the baseline.
        ours["speed_ratio"] = ours["docs_per_s"] / base["docs_per_s"]
        ours["cpu_ratio"] = base_cpu / ours["cpu_seconds"]
        ours["two_idle_cores_ratio"] = 2 * base_cpu / ours["cpu_seconds"]
        print(
            f"{name}/datasketch: {ours['speed_ratio']:.2f}x wall ({ours['docs_per_s']:.0f} vs "
            f"{base['docs_per_s']:.0f} docs/s); CPU seconds {ours['cpu_seconds']:.1f} vs "
            f"{base_cpu:.1f} (two idle cores: {ours['two_idle_cores_ratio']:.2f}x); ARI "
            f"{ours['ari']:.5f} vs {base['ari']:.5f}; pairwise P/R {ours['pair_precision']:.5f}"
            f" / {ours['pair_recall']:.5f} vs {base['pair_precision']:.5f} / "
            f"{base['pair_recall']:.5f}",
            flush=True,
        )
    result["speed_ratio"] = result["unspin"]["speed_ratio"]

    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        base_path = tmpd / "crawl.jsonl"
        write_jsonl(base_path, docs)
        warm_path = tmpd / "warm-up.jsonl"
        write_warm_up(warm_path)
        # From JSONL in fresh processes: local and Ray local, same output?
        runs: dict[str, Any] = {}
        for suffix in ("", "-noverify"):
            local, ray = f"local{suffix}", f"ray{suffix}"
            local_out, ray_out = tmpd / f"{local}.jsonl", tmpd / f"{ray}.jsonl"
            runs[local] = in_subprocess(base_path, local, args.workers, local_out)
            print(f"{local} from JSONL: {json.dumps(runs[local])}", flush=True)
            if not args.no_ray:
                for key, first in ((ray, None), (f"{ray}-warm", warm_path)):
                    runs[key] = in_subprocess(base_path, ray, args.workers, ray_out, first)
                    runs[key]["identical_to_local"] = local_out.read_bytes() == ray_out.read_bytes()
                    print(f"{key} (Ray local) from JSONL: {json.dumps(runs[key])}", flush=True)
        result["from_jsonl"] = runs

        scaling = []
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
        for n in sizes:
            pairs = replicas(items, n, args.seed)
            path = tmpd / f"crawl{n}.jsonl"
            write_jsonl(path, [d for d, _ in pairs])
            out = tmpd / f"out{n}.jsonl"
            row = in_subprocess(path, "local", args.workers, out)
            recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
            sids = [d.id for d, _ in pairs]
            row["ari"] = pair_scores([t for _, t in pairs], labels_from_records(sids, recs))["ari"]
            local_bytes = out.read_bytes()
            fast = in_subprocess(path, "local-noverify", args.workers, out)
            recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
            fast_labels = labels_from_records(sids, recs)
            if not args.no_ray:
                # Ray local at this size: its fixed costs (start, Ray Data's first run)
                # weigh less as the crawl grows. Same records as the local runner?
                fast_bytes = out.read_bytes()
                ray_out = tmpd / f"ray{n}.jsonl"
                for mode, want in (("ray", local_bytes), ("ray-noverify", fast_bytes)):
                    key = mode.replace("-", "_")
                    r = in_subprocess(path, mode, args.workers, ray_out)
                    row[f"{key}_seconds"] = r["seconds"]
                    row[f"{key}_start_seconds"] = r["ray_start_seconds"]
                    row[f"{key}_peak_rss_mb"] = r["peak_rss_mb"]
                    row[f"{key}_identical_to_local"] = ray_out.read_bytes() == want
                    # The same job in a Ray that has run one before (see run_one).
                    r = in_subprocess(path, mode, args.workers, ray_out, warm_path)
                    row[f"{key}_warm_seconds"] = r["seconds"]
                    row[f"{key}_warm_identical_to_local"] = ray_out.read_bytes() == want
            row["no_verify_seconds"] = fast["seconds"]
            row["no_verify_peak_rss_mb"] = fast["peak_rss_mb"]
            row["no_verify_ari"] = pair_scores([t for _, t in pairs], fast_labels)["ari"]
            brow = in_subprocess(path, "baseline", 1, None)
            row["baseline_seconds"] = brow["seconds"]
            row["baseline_docs_per_s"] = brow["docs_per_s"]
            row["baseline_peak_rss_mb"] = brow["peak_rss_mb"]
            scaling.append(row)
            print(f"scale {n}: {json.dumps(row)}", flush=True)
            path.unlink()
        result["scaling"] = scaling
        result["marginal"] = marginal_rates(scaling)
        print(f"marginal: {json.dumps(result['marginal'])}", flush=True)

    (args.out / "cluster_bench.json").write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out / 'cluster_bench.json'}")


if __name__ == "__main__":
    main()
