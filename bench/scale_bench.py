"""Scale benchmark: indexing speed, archive size and trace latency on a large archive.

The archive replicates ../shared/data/news with new ids and light perturbation (numbers
changed, 8% of words swapped for other corpus words, paragraphs rotated) until it holds
--docs documents. Queries: spun copies (50% of content words, clause swaps, drops, glued
headline) of articles in the archive, and spun copies of held-out articles that are in no
replica. Run: `python bench/scale_bench.py --data ../shared/data --docs 100000`.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spinner import Spinner, load_thesaurus
from trace_bench import JaccardBaseline, load_articles

from unspin import Archive, Document
from unspin.trace import trace

DIGITS = re.compile(r"\d")
WORDS = re.compile(r"[a-z]{4,}")


def perturb(text: str, vocab: list[str], rng: random.Random) -> str:
    text = DIGITS.sub(lambda m: str(rng.randrange(10)), text)
    text = WORDS.sub(lambda m: rng.choice(vocab) if rng.random() < 0.08 else m.group(), text)
    paras = text.split("\n\n")
    k = rng.randrange(len(paras))
    return "\n\n".join(paras[k:] + paras[:k])


def replicas(
    arts: list[dict[str, str]], n: int, vocab: list[str], rng: random.Random
) -> Iterator[Document]:
    for a in arts:
        yield Document(id=a["id"], text=a["text"], title=a["title"])
    made = len(arts)
    k = 1
    while made < n:
        for a in arts:
            if made >= n:
                return
            yield Document(id=f"{a['id']}~{k}", text=perturb(a["text"], vocab, rng))
            made += 1
        k += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    here = Path(__file__).resolve()
    ap.add_argument("--data", type=Path, default=here.parents[2] / "shared" / "data")
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path, default=here.parent / "out")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--keep", type=Path, help="keep the archive at this path")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    rng = random.Random(args.seed)
    arts = load_articles(args.data)
    rng.shuffle(arts)
    held, base = arts[: args.queries], arts[args.queries :]
    # Held-out articles whose text an archived article reuses (wire repeats) are not
    # no-source queries; drop them (5-gram containment >= 0.3, as in trace_bench).
    jb = JaccardBaseline({a["id"]: a["text"] for a in base})
    held = [a for a in held if jb.containment(a["text"]) < 0.3]
    del jb
    vocab = sorted({w for a in base[:500] for w in WORDS.findall(a["text"])})
    spinner = Spinner(load_thesaurus(args.data / "spinner-dicts" / "mythes_en_us.jsonl.gz"))

    def spin(a: dict[str, str]) -> str:
        return spinner.spin(
            a["text"], 0.5, reorder=0.3, drop=0.1, headline=rng.choice(arts)["title"]
        ).text

    copies = [(a["id"], spin(a)) for a in rng.sample(base, len(held))]
    unseen = [(None, spin(a)) for a in held]

    with tempfile.TemporaryDirectory() as tmp:
        db = args.keep or Path(tmp) / "scale.db"
        t = time.perf_counter()
        with Archive(db, create=True) as arc:
            arc.add(replicas(base, args.docs, vocab, rng), batch_size=2000)
            index_s = time.perf_counter() - t
            stats = arc.stats()
            print(
                f"indexed {stats.documents:,} docs in {index_s:.1f}s = "
                f"{stats.documents / index_s:,.0f} docs/s (2 worker processes + writer); "
                f"archive {stats.size_bytes / 1e6:,.0f} MB",
                flush=True,
            )
            lat: dict[str, list[float]] = {"copy": [], "no-source": []}
            hits = false_sources = 0
            for truth, text in copies + unseen:
                t = time.perf_counter()
                rep = trace(Document(id="q", text=text), arc)
                lat["copy" if truth else "no-source"].append(time.perf_counter() - t)
                top = rep.sources[0].id if rep.sources else None
                if truth:
                    hits += top == truth
                else:
                    false_sources += top is not None
                    if top is not None and args.verbose:
                        src = arc.get(top)
                        print(
                            "false source:",
                            top,
                            rep.sources[0].score,
                            "|",
                            text[:150],
                            "|",
                            src.text[:150],
                        )
    allq = lat["copy"] + lat["no-source"]
    summary = {
        "docs": stats.documents,
        "index_docs_per_s": stats.documents / index_s,
        "archive_mb": stats.size_bytes / 1e6,
        "recall@1_copies_50pct": hits / len(copies),
        "false_source_unseen": false_sources / len(unseen),
        "latency_ms": {
            k: {
                "p50": 1000 * float(np.percentile(v, 50)),
                "p95": 1000 * float(np.percentile(v, 95)),
            }
            for k, v in {**lat, "all": allq}.items()
        },
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(summary, indent=2))
    (args.out / f"scale_bench_{args.docs}.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
