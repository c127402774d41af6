"""WARC throughput: read HTML responses from a WARC and clean them, pages/s and memory.

Pages are synthetic farm pages made here (navigation, sidebar, footer, scripts, an
"[ad_1]" marker and a promo line in the body) so that extraction and cleaning both work.
Run: `python bench/warc_bench.py --pages 10000`.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from unspin.clean import find_strays
from unspin.readers import Document, ReadStats, read_inputs

WORDS = (
    "council harbour budget rain ferry mayor school bridge market night river storm report "
    "vote street train police museum garden tax festival water power road island winter "
    "summer crew board tickets growers frost orchard library mill timber students evening "
    "the a of and to in on for with was said that by from at as it is be were has had will"
).split()


def sentence(rng: random.Random) -> str:
    s = " ".join(rng.choice(WORDS) for _ in range(rng.randint(9, 22)))
    return s[0].upper() + s[1:] + "."


def page(i: int, rng: random.Random, words: int = 400) -> str:
    paras: list[str] = []
    n = 0
    while n < words:
        p = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
        n += len(p.split())
        paras.append(f"<p>{p}</p>")
    paras.insert(len(paras) // 2, "<p>[ad_1]</p>")
    paras.insert(len(paras) // 3, "<p>Retirees are rushing to claim this little-known benefit</p>")
    nav = "".join(f'<li><a href="/section/{j}">Section {j}</a></li>' for j in range(30))
    side = "".join(f'<li><a href="/s/{rng.randint(1, 10**6)}">{sentence(rng)}</a></li>'
                   for _ in range(8))  # fmt: skip
    foot = "".join(f'<a href="/about/{j}">About link {j}</a> ' for j in range(20))
    script = "var cfg = {" + ",".join(f'"k{j}": {j}' for j in range(150)) + "};"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Story {i} | The Harbour Times</title>
<link rel="canonical" href="https://times.example/2024/03/story-{i}">
<meta property="article:published_time" content="2024-03-{1 + i % 28:02d}T08:00:00Z">
<script>{script}</script></head><body>
<header><nav><ul>{nav}</ul></nav></header>
<main><article><h1>Story {i}: {sentence(rng)}</h1>
{chr(10).join(paras)}
</article><aside><h3>Most read</h3><ul>{side}</ul></aside></main>
<footer><p>Copyright 2024 The Harbour Times. All rights reserved.</p>{foot}</footer>
</body></html>"""


def make(path: Path, pages: int) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rng = random.Random(7)
    with path.open("wb") as f:
        w = WARCWriter(f, gzip=True)
        for i in range(pages):
            body = page(i, rng).encode()
            h = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            w.write_record(
                w.create_warc_record(
                    f"https://times.example/s/{i}", "response", payload=io.BytesIO(body),
                    http_headers=h,
                )
            )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    args = ap.parse_args()
    import trafilatura  # noqa: F401 - imports are not reading time

    with tempfile.TemporaryDirectory() as tmp:
        warc = Path(tmp) / "crawl.warc.gz"
        make(warc, args.pages)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        stats = ReadStats()
        docs = problems = strays = 0
        t = time.perf_counter()
        for item in read_inputs([str(warc)], stats=stats):
            if isinstance(item, Document):
                docs += 1
                strays += len(find_strays(item.text, item.title))
            else:
                problems += 1
        dt = time.perf_counter() - t
    res = {
        "pages": docs,
        "problems": problems,
        "strays_found": strays,
        "seconds": dt,
        "pages_per_s": docs / dt,
        "peak_rss_mb_before_reading": rss_before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(res, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "warc_bench.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
