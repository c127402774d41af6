"""Load benchmark of `unspin serve` on loopback: concurrent clients, a bounded number of
requests, latency percentiles and status counts.

Starts the server in a subprocess on 127.0.0.1 (archive: the shipped example articles),
then `--clients` concurrent clients send `--requests` requests in all, stopping early after
`--max-seconds`. Most are POST /trace (a spun copy, an independent report, the originals);
a share `--check-share` are POST /check, answered by a tiny randomly initialised language
model (`--model` for another), which runs one check at a time with a short queue: excess
checks are refused with 429, as documented. Any answer other than 200, 429 or 503, and any
transport error, is a failure (exit 1).

Run: `.venv/bin/python bench/load_bench.py [--clients 50 --requests 2000]`.
Results: printed, and written as JSON to bench/out/load_bench.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import running_server

DOCUMENTED = {200, 429, 503}


@dataclass
class Result:
    endpoint: str
    status: int  # 0: transport error
    seconds: float
    error: str | None = None


def tiny_model(path: Path) -> Path:
    from unspin.testing import build_tiny_lm

    return build_tiny_lm(path, layers=1, hidden=16, seed=1)


def bodies() -> list[dict[str, str]]:
    examples = resources.files("unspin") / "examples"
    out = [
        {"text": (examples / "spun.txt").read_text(encoding="utf-8"), "id": "spun"},
        {"text": (examples / "independent.txt").read_text(encoding="utf-8"), "id": "independent"},
    ]
    for line in (examples / "originals.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        out.append({"text": d["text"], "id": f"copy-of-{d['id']}"})
    return out


async def run_load(
    base: str, clients: int, requests: int, check_share: float, max_seconds: float, seed: int
) -> tuple[list[Result], float]:
    rng = random.Random(seed)
    texts = bodies()
    jobs = [
        ("/check" if rng.random() < check_share else "/trace", rng.choice(texts))
        for _ in range(requests)
    ]
    jobs.reverse()  # popped from the end
    results: list[Result] = []
    deadline = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def worker(client: httpx.AsyncClient) -> None:
        while jobs and time.monotonic() < deadline:
            endpoint, body = jobs.pop()
            t0 = time.perf_counter()
            try:
                r = await client.post(endpoint, json=body)
                results.append(Result(endpoint, r.status_code, time.perf_counter() - t0))
                if r.status_code not in DOCUMENTED:
                    results[-1].error = r.text[:200]
            except httpx.HTTPError as e:
                results.append(
                    Result(endpoint, 0, time.perf_counter() - t0, f"{type(e).__name__}: {e}")
                )

    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        wall = time.perf_counter() - t0
    return results, wall


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def summarise(results: list[Result], wall: float) -> dict[str, object]:
    by_endpoint: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_endpoint[r.endpoint].append(r)
    out: dict[str, object] = {
        "requests": len(results),
        "seconds": round(wall, 2),
        "throughput_rps": round(len(results) / wall, 1) if wall else 0.0,
        "statuses": dict(sorted(Counter(r.status for r in results).items())),
        "errors": [r.error for r in results if r.error][:10],
    }
    for endpoint, rs in sorted(by_endpoint.items()):
        ok = [r.seconds * 1000 for r in rs if r.status == 200]
        every = [r.seconds * 1000 for r in rs]
        out[endpoint] = {
            "requests": len(rs),
            "statuses": dict(sorted(Counter(r.status for r in rs).items())),
            "ok_ms": {
                "p50": round(pct(ok, 0.5), 1),
                "p95": round(pct(ok, 0.95), 1),
                "p99": round(pct(ok, 0.99), 1),
                "max": round(max(ok), 1) if ok else None,
                "mean": round(statistics.fmean(ok), 1) if ok else None,
            },
            "all_ms": {"p50": round(pct(every, 0.5), 1), "p95": round(pct(every, 0.95), 1)},
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--check-share", type=float, default=0.05, help="share sent to /check")
    ap.add_argument("--max-seconds", type=float, default=600.0, help="stop sending after")
    ap.add_argument("--model", help="language model for /check (default: a tiny random one)")
    ap.add_argument("--workers", type=int, default=0, help="server trace threads (0: auto)")
    ap.add_argument("--queue", type=int, default=64, help="server queue beyond its threads")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("bench/out/load_bench.json"))
    args = ap.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="unspin-load-") as tmp:
        extra = ["--workers", str(args.workers), "--queue", str(args.queue)]
        if args.check_share > 0:
            model = args.model or str(tiny_model(Path(tmp) / "tiny-lm"))
            extra += ["--model", model, "--model-threads", "1"]
        else:
            extra += ["--no-check"]
        with running_server(*extra, log_path=args.out.with_suffix(".server.log")) as base:
            if args.check_share > 0:  # let the model and lexicon load before the clock starts
                deadline = time.monotonic() + 300
                while httpx.get(f"{base}/health").json()["model"] == "loading":
                    if time.monotonic() > deadline:
                        sys.exit("the language model did not load in 300 s")
                    time.sleep(0.2)
            results, wall = asyncio.run(
                run_load(
                    base, args.clients, args.requests, args.check_share, args.max_seconds,
                    args.seed,
                )
            )  # fmt: skip
            alive = httpx.get(f"{base}/health").json()["status"] == "ok"
    summary = summarise(results, wall)
    summary["server_alive_after"] = alive
    summary["clients"] = args.clients
    print(json.dumps(summary, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    bad = [r for r in results if r.status not in DOCUMENTED]
    if bad or not alive:
        sys.exit(f"{len(bad)} requests failed outside the documented 429/503")


if __name__ == "__main__":
    main()
