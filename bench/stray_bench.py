"""Stray benchmark: scraper debris found in articles from ../shared/data/news.

Each article gets one of: an unrelated headline (another article's title) glued on top, a
promo line inserted between two paragraphs, its own headline repeated mid-body, or
nothing. Promo lines come from two disjoint lists written for this benchmark: one for the
calibration half, one for the evaluation half, so the detector is not scored on the lines
it was tuned on. Reports precision and recall of stray spans (a predicted span counts when
it covers the inserted line) and the share of real article sentences removed.
Run: `python bench/stray_bench.py --data ../shared/data`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from trace_bench import load_articles

from unspin import clean
from unspin.segment import split_sentences

PROMOS_CAL = [
    "WATCH: Firefighters rescue kitten from storm drain",
    "READ MORE: The ten best budget phones of the year",
    "Walmart just increased the payment to $15",
    "Click here to get breaking news alerts on your phone",
    "Sign up for our morning briefing",
    "Doctors stunned by this one simple kitchen trick",
    "You won't believe what this former child star looks like now",
    "Related: Five things to know before markets open",
    "[ad_1]",
    "Facebook Twitter WhatsApp Email",
    "Home | World | Business | Sport | Weather",
    "Retirees are rushing to claim this little-known benefit",
    "Advertisement",
    "Trending: Celebrity chef opens third restaurant",
    "Follow us on Instagram for more stories",
    "This new credit card offers zero interest until 2027",
    "Seniors can now get free hearing aids in most states",
    "Download our app for the latest headlines",
    "Also read: How to save on your energy bill",
    "Share this article",
]
PROMOS_EVAL = [
    "WATCH: Dramatic footage shows bridge collapse",
    "READ MORE: Inside the new royal residence",
    "Amazon shoppers rave about this bargain vacuum",
    "Click here to subscribe to our weekly newsletter",
    "Subscribe now and get your first month free",
    "Homeowners are switching to this cheaper insurance",
    "The dating app everyone over 50 is talking about",
    "Recommended: Why experts say gold will keep rising",
    "[ad_2]",
    "Share on Facebook | Share on Twitter | Email",
    "News | Opinion | Culture | Travel | Video",
    "Drivers with no tickets in three years should read this",
    "ADVERTISEMENT",
    "Photos: Best dressed stars on the red carpet",
    "Follow us on Twitter for live updates",
    "Costco members can get this deal until Sunday",
    "New rule lets veterans claim a bigger tax refund",
    "Download the app to read this story offline",
    "See also: Ten cities with the cheapest rent",
    "Copy link Tweet Share",
]


def make_case(
    a: dict[str, str], kind: str, titles: list[str], promos: list[str], rng: random.Random
) -> tuple[str, list[tuple[int, int]]]:
    """Text with debris and the spans of the debris lines."""
    body = a["text"]
    if kind == "none":
        return body, []
    if kind == "glued":
        line = rng.choice(titles)
        return f"{line}\n{body}", [(0, len(line))]
    paras = body.split("\n\n")
    k = rng.randrange(1, len(paras)) if len(paras) > 1 else 1
    line = rng.choice(promos) if kind == "promo" else a["title"]
    head = "\n\n".join(paras[:k]) + "\n\n"
    return head + line + "\n\n" + "\n\n".join(paras[k:]), [(len(head), len(head) + len(line))]


def evaluate(
    arts: list[dict[str, str]], titles: list[str], promos: list[str], rng: random.Random
) -> dict[str, float]:
    tp = fp = fn = 0
    removed = sentences = 0
    per_kind: dict[str, list[int]] = {}
    t = time.perf_counter()
    for i, a in enumerate(arts):
        kind = ("glued", "promo", "repeated", "none")[i % 4]
        text, truth = make_case(a, kind, [x for x in titles if x != a["title"]], promos, rng)
        pred = clean.find_strays(text, title=a["title"])
        hit = [any(p.start <= s and e <= p.end for p in pred) for s, e in truth]
        n_tp = sum(hit)
        tp += n_tp
        fn += len(truth) - n_tp
        false = [p for p in pred if not any(p.start <= s and e <= p.end for s, e in truth)]
        fp += len(false)
        pk = per_kind.setdefault(kind, [0, 0, 0])
        pk[0] += n_tp
        pk[1] += len(truth)
        pk[2] += len(false)
        # Real sentences: sentences of the article as published, located in the new text.
        offset = len(text) - len(a["text"]) if kind == "glued" else 0
        for s, e in split_sentences(a["text"]):
            if kind in ("promo", "repeated") and truth and s >= truth[0][0]:
                s2, e2 = s + truth[0][1] - truth[0][0] + 2, e + truth[0][1] - truth[0][0] + 2
            else:
                s2, e2 = s + offset, e + offset
            sentences += 1
            removed += any(p.start < e2 and s2 < p.end for p in false)
    dt = time.perf_counter() - t
    out = {
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "real_sentences_removed": removed / sentences,
        "docs_per_s": len(arts) / dt,
    }
    for kind, (h, n, f) in per_kind.items():
        out[f"recall[{kind}]"] = h / n if n else float("nan")
        out[f"false_strays[{kind}]"] = f
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    here = Path(__file__).resolve()
    ap.add_argument("--data", type=Path, default=here.parents[2] / "shared" / "data")
    ap.add_argument("--n", type=int, default=2000, help="articles per half")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--grid", action="store_true", help="scan MIN_OVERLAP on the cal half")
    ap.add_argument("--out", type=Path, default=here.parent / "out")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    arts = load_articles(args.data)
    rng.shuffle(arts)
    titles = [a["title"] for a in arts]
    cal, ev = arts[: args.n], arts[args.n : 2 * args.n]
    if args.grid:
        for v in (0.1, 0.15, 0.2, 0.25, 0.3, 0.34, 0.4, 0.5):
            clean.MIN_OVERLAP = v
            r = evaluate(cal, titles, PROMOS_CAL, random.Random(args.seed))
            print(f"MIN_OVERLAP={v}: {json.dumps({k: round(x, 4) for k, x in r.items()})}")
        return
    res = {
        "calibration": evaluate(cal, titles, PROMOS_CAL, random.Random(args.seed)),
        "evaluation": evaluate(ev, titles, PROMOS_EVAL, random.Random(args.seed + 1)),
    }
    print(json.dumps(res, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "stray_bench.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
