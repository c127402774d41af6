from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unspin import Archive, Document, ReadOptions
from unspin.cluster import (
    ClusterOptions,
    ClusterResult,
    Skipped,
    candidate_pairs,
    cluster_documents,
    cluster_inputs,
    parse_date,
    site_of,
    write_result,
)
from unspin.cluster.sites import _site_by_urlsplit

from .conftest import EXAMPLES, example_originals, example_text

# A tiny spinner: each site has its own synonym for each word of this table, and each
# copy keeps every `keep`-th occurrence, so copies of one article differ from one another.
SYNONYMS = {
    "evacuated": ("removed", "cleared"),
    "heavy": ("weighty", "hefty"),
    "river": ("stream", "waterway"),
    "people": ("persons", "folks"),
    "peace": ("harmony", "calm"),
    "talks": ("discussions", "conversations"),
    "offensive": ("onslaught", "assault"),
    "council": ("board", "assembly"),
    "approved": ("endorsed", "sanctioned"),
    "images": ("pictures", "photos"),
    "first": ("initial", "opening"),
    "quarter": ("term", "period"),
    "results": ("outcomes", "figures"),
    "emergency": ("crisis", "urgent situation"),
    "said": ("stated", "declared"),
    "government": ("administration", "authorities"),
    "expected": ("anticipated", "predicted"),
    "week": ("seven days", "period of days"),
    "new": ("fresh", "novel"),
    "began": ("started", "commenced"),
}
_WORD = re.compile(r"[A-Za-z]+")
FARMS = {"farm-a": (0, 3), "farm-b": (1, 4)}  # synonym column, keep every n-th
WORDFREQ = importlib.util.find_spec("wordfreq") is not None


def spin(text: str, farm: str) -> str:
    column, keep = FARMS[farm]
    n = 0

    def sub(m: re.Match[str]) -> str:
        nonlocal n
        word = m.group()
        new = SYNONYMS.get(word.lower())
        if new is None:
            return word
        n += 1
        if n % keep == 0:
            return word
        return new[column].capitalize() if word[0].isupper() else new[column]

    return _WORD.sub(sub, text)


def crawl(dates: bool = True) -> list[Document]:
    """Originals 1-3 spun onto two farm sites (a glued headline on one copy), originals
    4-5 alone, and an independent report of original 2's event."""
    lines = (EXAMPLES / "originals.jsonl").read_text(encoding="utf-8").splitlines()
    docs: list[Document] = []
    for i, d in enumerate(map(json.loads, lines)):
        date = d["date"] if dates else None
        docs.append(Document(d["id"], d["text"], d["title"], d["url"], date))
        if i >= 3:
            continue
        for farm in FARMS:
            text = spin(d["text"], farm)
            if farm == "farm-b" and i == 0:
                text = "Celebrity chef opens new bistro in the old harbour\n" + text
            docs.append(
                Document(
                    f"{farm}/{d['id']}",
                    text,
                    url=f"https://www.{farm}.example/{i}.html",
                    date=f"2026-07-0{i + 1}" if dates else None,
                )
            )
    docs.append(Document("indep", example_text("independent.txt"), url="https://other.example/1"))
    return docs


EXPECTED = {
    f"harbor-wire-000{i}": [f"{site}harbor-wire-000{i}" for site in ("", "farm-a/", "farm-b/")]
    for i in (1, 2, 3)
}


def records(result: ClusterResult) -> list[dict[str, Any]]:
    with result:
        return list(result.records())


def write_jsonl(path: Path, docs: list[Document], extra: dict[int, str] | None = None) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for i, d in enumerate(docs):
            if extra and i in extra:
                f.write(extra[i] + "\n")
            rec = {"id": d.id, "text": d.text, "title": d.title, "url": d.url, "date": d.date}
            f.write(json.dumps(rec) + "\n")
    return path


def test_campaigns_are_found_with_roots_and_substitutions() -> None:
    docs = crawl()
    result = cluster_documents(docs, ClusterOptions(workers=1))
    assert result.documents == len(docs) and not result.skipped
    sites = {s.site: s for s in result.sites}
    recs = records(result)
    assert {r["root"]: r["members"] for r in recs} == EXPECTED
    assert [r["cluster"] for r in recs] == [1, 2, 3]
    texts = {d.id: d.text for d in docs}
    for r in recs:
        assert r["root_by"] == "date" and r["root_site"] == "example.org"
        assert r["sites"] == ["example.org", "farm-a.example", "farm-b.example"]
        for v in r["variants"]:
            assert v["score"] >= 0.45
            assert v["substitutions"]
            for s in v["substitutions"]:
                assert texts[v["id"]][s["start"] : s["end"]] == s["text"]
                assert spin(s["original"], v["site"].split(".")[0]) == s["text"]
    # The glued headline is stray debris: not a substitution.
    glued = next(v for r in recs for v in r["variants"] if v["id"] == "farm-b/harbor-wire-0001")
    assert all("bistro" not in s["text"] for s in glued["substitutions"])

    assert sites["farm-a.example"].to_dict() == {
        "site": "farm-a.example",
        "pages": 3,
        "clusters": 3,
        "roots": 0,
        "copies": 3,
        "share_spun": 1.0,
        "copied_from": {"example.org": 3},
    }
    assert sites["example.org"].roots == 3 and sites["example.org"].pages == 5
    assert sites["example.org"].copies == 0
    assert sites["other.example"].pages == 1 and sites["other.example"].clusters == 0
    assert result.largest[0][1] == 3


def test_root_without_dates_is_the_least_spun_member() -> None:
    # By word frequency where wordfreq is installed: synonyms are rarer words.
    recs = records(cluster_documents(crawl(dates=False), ClusterOptions(workers=1)))
    assert {r["root"]: r["members"] for r in recs} == EXPECTED
    by = "frequency" if importlib.util.find_spec("wordfreq") else "coverage"
    assert {r["root_by"] for r in recs} == {by}
    # Else by the words shared with the other members.
    opts = ClusterOptions(workers=1, frequency=False)
    recs = records(cluster_documents(crawl(dates=False), opts))
    assert {r["root"]: r["members"] for r in recs} == EXPECTED
    assert {r["root_by"] for r in recs} == {"coverage"}


@pytest.mark.parametrize("workers", [1, 2])  # 2: the workers read the file
@pytest.mark.parametrize("verify", [True, False])
def test_bad_input_is_reported_and_skipped(tmp_path: Path, verify: bool, workers: int) -> None:
    docs = crawl()
    huge = "The council met again on Tuesday to discuss the budget. " * 4000
    path = write_jsonl(
        tmp_path / "crawl.jsonl",
        docs,
        extra={
            2: '{"id": "broken", "text": ',  # corrupt record mid-stream
            4: json.dumps({"id": docs[0].id, "text": "A later page with the same id."}),
            6: json.dumps({"id": "empty", "text": "   "}),
            8: json.dumps({"id": "huge", "text": huge}),
        },
    )
    skipped = []
    result = cluster_inputs(
        [str(path)],
        ReadOptions(max_bytes=100_000),
        ClusterOptions(workers=workers, verify=verify),
        on_skip=skipped.append,
    )
    reasons = [s.reason for s in result.skipped]
    assert len(reasons) == 4 and skipped == result.skipped
    assert reasons[0].startswith("malformed JSON") and result.skipped[0].origin.endswith(":3")
    assert reasons[1] == f"duplicate id {docs[0].id!r} (first at {path}:1)"
    assert reasons[2] == "empty document"
    assert "too large" in reasons[3]
    assert {r["root"]: r["members"] for r in records(result)} == EXPECTED


@pytest.mark.parametrize("verify", [True, False])
def test_workers_read_the_inputs_as_this_process_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verify: bool
) -> None:
    # With workers, files are read by them (this JSONL file in many small parts) and the
    # texts spilled there, while a directory is read here as a stream: the same records,
    # and the same problems and repeated ids in the same order, as one reader here gives.
    from unspin.cluster import reading

    docs = crawl(dates=verify)
    path = write_jsonl(
        tmp_path / "crawl.jsonl",
        docs,
        extra={
            1: '{"id": "broken", "text": ',
            5: json.dumps({"id": docs[0].id, "text": "A later page with the same id."}),
            7: "",
        },
    )
    (tmp_path / "dir").mkdir()
    write_jsonl(tmp_path / "dir" / "a.jsonl", [dataclasses.replace(docs[1], id="x\u00e9")])
    write_jsonl(tmp_path / "dir" / "b.jsonl", [dataclasses.replace(docs[3], id=docs[2].id)])
    small = write_jsonl(tmp_path / "more.jsonl", [dataclasses.replace(docs[4], id="y")])
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02\xff\xfe binary")
    (tmp_path / "latin.txt").write_bytes("Caf\u00e9 au lait for the council.".encode("latin-1"))
    inputs = [
        str(path),
        str(tmp_path / "missing.jsonl"),
        str(tmp_path / "dir"),
        str(tmp_path / "bin.txt"),
        str(small),
        str(tmp_path / "latin.txt"),
    ]
    monkeypatch.setattr(reading, "PART_BYTES", 1500)
    assert len(reading.read_plan(inputs, reading.PART_BYTES)) > 5
    runs = []
    # One stream read here (the reference), then the plan of files and parts read here,
    # then read by two workers (a file of the directory each, parts of the big file).
    for workers, plan in ((1, False), (1, True), (2, True)):
        met: list[Skipped] = []
        sketched: list[int] = []

        def progress(stage: str, n: int) -> None:
            if stage == "sketch":
                sketched.append(n)  # noqa: B023 (called within the iteration)

        opts = ClusterOptions(workers=workers, verify=verify)
        if plan:
            result = cluster_inputs(inputs, None, opts, progress=progress, on_skip=met.append)
        else:
            items = reading.numbered(inputs)
            result = cluster_documents(items, opts, progress=progress, on_skip=met.append)
        with result:
            runs.append((met, result.skipped, list(result.records()), result.documents))
        assert sum(sketched) >= result.documents
    assert runs[0] == runs[1] == runs[2]
    met, skipped, recs, n_docs = runs[2]
    assert met == skipped and [s.reason[:14] for s in skipped] == [
        "malformed JSON",
        "duplicate id '",
        "no such file o",
        "duplicate id '",
        "binary file, n",
        "not valid utf-",
    ]
    assert n_docs == len(docs) + 2
    # The pages of the directory and the last file are copies too: they join clusters.
    copies = {r["root"]: r["members"] for r in recs}
    assert copies["harbor-wire-0001"] == [*EXPECTED["harbor-wire-0001"], "x\u00e9"]
    assert copies["harbor-wire-0002"] == [*EXPECTED["harbor-wire-0002"], "y"]
    assert copies["harbor-wire-0003"] == EXPECTED["harbor-wire-0003"] and len(copies) == 3


@pytest.mark.parametrize("verify", [True, False])
def test_multiprocess_run_matches_single_process(verify: bool) -> None:
    for dates in (True, False):
        one = records(cluster_documents(crawl(dates), ClusterOptions(workers=1, verify=verify)))
        opts = ClusterOptions(workers=2, batch_size=2, verify=verify)
        assert records(cluster_documents(crawl(dates), opts)) == one


def test_no_verify_groups_the_clean_cases_as_verification_does() -> None:
    for dates in (True, False):
        full = records(cluster_documents(crawl(dates), ClusterOptions(workers=1)))
        fast = records(cluster_documents(crawl(dates), ClusterOptions(workers=1, verify=False)))
        assert {r["root"]: r["members"] for r in fast} == EXPECTED
        assert [r["members"] for r in fast] == [r["members"] for r in full]
        assert all(r["verified"] for r in full) and not any(r["verified"] for r in fast)
        assert [sorted(r) for r in fast] == [sorted(r) for r in full]  # same fields
        for r in fast:
            assert r["root_by"] == ("date" if dates else "frequency" if WORDFREQ else "first")
            for v in r["variants"]:
                assert v["substitutions"] == [] and v["score"] is None
                assert set(v) == set(full[0]["variants"][0])
    # Without word frequencies an undated cluster's root is its first member.
    opts = ClusterOptions(workers=1, verify=False, frequency=False)
    fast = records(cluster_documents(crawl(dates=False), opts))
    assert {r["root_by"] for r in fast} == {"first"}
    assert [r["root"] for r in fast] == [m[0] for m in EXPECTED.values()]


def test_no_verify_threshold_default_and_override() -> None:
    from unspin.cluster import DEFAULT_MIN_JACCARD, TRIAGE_MIN_JACCARD

    assert ClusterOptions().jaccard_bar == DEFAULT_MIN_JACCARD
    assert ClusterOptions(verify=False).jaccard_bar == TRIAGE_MIN_JACCARD
    assert ClusterOptions(verify=False, min_jaccard=0.5).jaccard_bar == 0.5
    r = subprocess.run(
        [sys.executable, "-m", "unspin", "cluster", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
        check=True,
    )
    assert f"default {DEFAULT_MIN_JACCARD}; {TRIAGE_MIN_JACCARD} with --no-verify" in r.stdout
    opts = ClusterOptions(workers=1, verify=False, min_jaccard=1.01)
    assert records(cluster_documents(crawl(), opts)) == []


def test_batched_sketches_equal_fingerprint_signatures() -> None:
    from unspin.cluster.sketching import sketch_many
    from unspin.fingerprint import FingerprintParams, band_keys, signature_of, skeleton_shingles

    params = FingerprintParams()
    docs = [*crawl(), Document("empty", ""), Document("one", "Hello"), Document("two", "The a")]
    sketches = sketch_many(list(enumerate(docs)), params)
    for d, s in zip(docs, sketches, strict=True):
        items = list(set(skeleton_shingles(d.text, params.ngram)))
        sig = signature_of(items, params)
        assert np.array_equal(s.signature, sig)
        assert s.band_keys.tolist() == (band_keys(sig, params) if items else [])


@pytest.mark.parametrize(
    ("num_perm", "seed", "bands"), [(128, 1, 42), (64, 3, 21)], ids=["shipped", "datasketch"]
)
def test_minhash_permutations_are_datasketchs(num_perm: int, seed: int, bands: int) -> None:
    from datasketch import MinHash

    from unspin.cluster.sketching import minhash_permutations
    from unspin.fingerprint import SCHEME, FingerprintParams

    params = FingerprintParams(num_perm=num_perm, seed=seed, bands=bands, rows=3)
    a, b, empty = minhash_permutations(params)
    m = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME)
    assert a.dtype == b.dtype == empty.dtype == np.uint32
    assert np.array_equal(a, m.permutations[0])
    assert np.array_equal(b, m.permutations[1])
    assert np.array_equal(empty, np.asarray(m.digest(), dtype=np.uint32))


@pytest.mark.parametrize("verify", [True, False])
def test_archive_attaches_known_sources(archive: Archive, verify: bool) -> None:
    spins = [d for d in crawl() if d.id.startswith("farm-")]
    opts = ClusterOptions(workers=1, archive=str(archive.path), verify=verify)
    recs = records(cluster_documents(spins, opts))
    assert len(recs) == 3
    for r in recs:
        assert r["sources"][0]["id"] == r["root"].split("/", 1)[1]


def test_candidate_pairs_filter_and_bucket_cap() -> None:
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**32, size=(6, 16), dtype=np.uint32)
    sigs[1, :12] = sigs[0, :12]  # rows 0 and 1: estimated Jaccard 0.75
    bands = rng.integers(-(2**62), 2**62, size=(6, 4), dtype=np.int64)
    bands[1, 0] = bands[0, 0]
    bands[3, 1] = bands[2, 1]  # rows 2 and 3 collide but share no signature slot
    bands[:, 3] = 7  # one bucket holds every row: boilerplate
    c = candidate_pairs(bands, sigs, min_jaccard=0.25, max_bucket=5)
    assert c.pairs.tolist() == [[0, 1]] and c.jaccard.tolist() == [0.75]
    assert c.colliding_pairs == 2 and c.skipped_buckets == 1 and c.largest_bucket == 6


@pytest.mark.parametrize("enabled", [True, False])
def test_candidate_search_runs_without_collections_and_restores_them(
    enabled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from unspin.cluster import candidates
    from unspin.cluster.sketching import SketchTable, sketch_columns
    from unspin.fingerprint import FingerprintParams

    params = FingerprintParams()
    docs = crawl()
    table = SketchTable(params)
    table.add_columns(
        [(k, d.id, d.url, d.date) for k, d in enumerate(docs)],
        *sketch_columns([d.text for d in docs], params),
    )
    assert table.finish() == []
    seen: list[bool] = []
    plan = candidates.plan

    def watched(*args: Any) -> Any:
        seen.append(gc.isenabled())
        return plan(*args)

    monkeypatch.setattr(candidates, "plan", watched)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        comps, _ = candidates.find_candidates(table, ClusterOptions())
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert seen == [False] and comps


@settings(max_examples=300, deadline=None)
@given(
    st.integers(2, 40),
    st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39), st.integers(0, 4)), max_size=60),
)
def test_components_are_the_candidate_graphs(n: int, edges: list[tuple[int, int, int]]) -> None:
    from unspin.cluster.candidates import Candidates, plan

    # A graph's pairs as candidate_pairs gives them (distinct, first < second, sorted),
    # Jaccard estimates that tie often.
    best = {(min(a, b), max(a, b)): j / 4 for a, b, j in edges if a != b and max(a, b) < n}
    pairs = sorted(best)
    cands = Candidates(
        np.array(pairs, dtype=np.int64).reshape(-1, 2),
        np.array([best[p] for p in pairs]),
        len(pairs),
        0,
        0,
    )
    # The reference: components by search, rows ascending, ordered by their first row;
    # edges most similar first, then by rows.
    linked: dict[int, set[int]] = {}
    for a, b in pairs:
        linked.setdefault(a, set()).add(b)
        linked.setdefault(b, set()).add(a)
    want, seen = [], set()
    for r in sorted(linked):
        if r in seen:
            continue
        comp, todo = set(), [r]
        while todo:
            x = todo.pop()
            if x not in comp:
                comp.add(x)
                todo.extend(linked[x])
        seen |= comp
        rows = sorted(comp)
        es = sorted((-best[p], p) for p in pairs if p[0] in comp)
        want.append((tuple(rows), tuple((rows.index(a), rows.index(b)) for _, (a, b) in es)))
    assert [(c.rows, c.edges) for c in plan(cands, n)] == want


URL_PIECES = [
    "http", "HTTPS", "https", "ftp", ":", "//", "/", "?", "#", "@", "[", "]", ":8080",
    "www.", "WWW.", "Farm-A", "example", ".", ".com", "-", "_", "x", "\t", "\n", " ", "%",
    "\u00e9", "user:pw@", "[::1]", "\\", "..",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(URL_PIECES), max_size=14))
def test_site_of_agrees_with_urlsplit(pieces: list[str]) -> None:
    for url in ("".join(pieces), "https://" + "".join(pieces), "http://" + "".join(pieces)):
        assert site_of(url) == _site_by_urlsplit(url), repr(url)


def test_sites_and_dates_parse() -> None:
    assert site_of("https://www.Farm-A.example:8080/x?y") == "farm-a.example"
    assert site_of("farm.example/path") == "farm.example" and site_of(None) is None
    assert parse_date("2026-07-01T10:00:00Z") == parse_date("2026-07-01T12:00:00+02:00")
    assert parse_date("yesterday") is None


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "unspin", *args], capture_output=True, text=True, timeout=120
    )


def test_written_records_are_the_records(tmp_path: Path) -> None:
    # JSONL is written from the stored JSON without decoding it: the lines must be the
    # records as json.dumps gives them, numbered; Parquet gets the same records.
    docs = crawl()
    docs[0] = dataclasses.replace(docs[0], id="harbor-wire-0001-\u00e9t\u00e9")  # non-ASCII root id
    result = cluster_documents(docs, ClusterOptions(workers=1))
    with result:
        recs = list(result.records())
        assert write_result(result, str(tmp_path / "c.jsonl")) == len(recs) == 3
        lines = (tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()
        assert lines == [json.dumps(r, ensure_ascii=False) for r in recs]
        assert [r["cluster"] for r in recs] == [1, 2, 3]
        assert "harbor-wire-0001-\u00e9t\u00e9" in lines[0]
        pq = pytest.importorskip("pyarrow.parquet")
        write_result(result, str(tmp_path / "c.parquet"))
        table = pq.read_table(tmp_path / "c.parquet")  # fields outside the report's: JSON
        assert [json.loads(x) for x in table.column("cluster").to_pylist()] == [1, 2, 3]
        assert [json.loads(x) for x in table.column("members").to_pylist()] == [
            r["members"] for r in recs
        ]


def test_cli_writes_clusters_sites_and_summary(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "crawl.jsonl", crawl(), extra={3: "{not json"})
    out, sites = tmp_path / "clusters.jsonl", tmp_path / "sites.parquet"
    r = run_cli("cluster", str(path), "--out", str(out), "--sites", str(sites), "--workers", "1")
    assert r.returncode == 0, r.stderr  # one unreadable line: reported, skipped
    assert f"{path}:4: malformed JSON" in r.stderr and "Traceback" not in r.stderr
    assert "3 clusters" in r.stderr and "top copying sites" in r.stderr
    recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["root"]: r["members"] for r in recs} == EXPECTED
    pq = pytest.importorskip("pyarrow.parquet")
    assert "farm-a.example" in pq.read_table(sites).column("site").to_pylist()
    r = run_cli("cluster", str(path), "--out", str(out), "--workers", "1", "--no-verify")
    assert r.returncode == 0, r.stderr
    assert f"{path}:4: malformed JSON" in r.stderr and "3 clusters" in r.stderr
    recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["root"]: r["members"] for r in recs} == EXPECTED
    assert not any(r["verified"] for r in recs)
    r = run_cli("cluster", str(path), "--out", str(out), "--workers", "1", "--strict")
    assert r.returncode == 1
    r = run_cli("cluster", str(tmp_path / "missing.jsonl"), "--out", str(out))
    assert r.returncode == 1 and "no such file" in r.stderr and out.read_text() == ""


def test_ray_option_without_ray_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from unspin.cluster import ray_job
    from unspin.errors import UnspinError

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(UnspinError, match=r"pip install 'unspin\[ray\]'"):
        ray_job.cluster_inputs_ray(["x.jsonl"])


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    from unspin.cluster.ray_job import start_ray

    started = start_ray(num_cpus=2)
    yield
    if started:
        ray.shutdown()


def test_ray_verify_tasks_shrink_as_the_work_left_does() -> None:
    pytest.importorskip("ray")
    from unspin.cluster.ray_job import _TASK_DOCS, _TASK_DOCS_MIN, buckets

    rng = random.Random(5)
    sizes = [rng.randint(2, 40) for _ in range(4000)]
    got = buckets(sizes, 2)
    assert got == buckets(sizes, 2)  # the same every time: a plan every worker shares
    load = [0] * (max(got) + 1)
    for n, b in zip(sizes, got, strict=True):
        load[b] += n
    assert sum(load) == sum(sizes) and all(load)  # every component, no empty task
    # Full tasks first, then each about a quarter (two workers) of what is left, down to
    # the smallest size; the last takes the rest. (A task overshoots by a component.)
    assert _TASK_DOCS <= load[0] < _TASK_DOCS + 40 and max(load) < _TASK_DOCS + 40
    left = sum(sizes)
    for x in load[:-1]:
        want = min(_TASK_DOCS, max(_TASK_DOCS_MIN, left / 4))
        assert want <= x < want + 40
        left -= x
    assert load[-1] == left <= _TASK_DOCS_MIN + 40
    assert 12 <= len(load) <= 20 and load[-2] < load[0] / 5
    # Larger components go to earlier tasks: the small ones fill the small tasks.
    tasks: dict[int, list[int]] = {}
    for n, b in zip(sizes, got, strict=True):
        tasks.setdefault(n, []).append(b)
    for big, small in pairwise(sorted(tasks, reverse=True)):
        assert max(tasks[big]) <= min(tasks[small])
    assert buckets([5], 4) == [0] and buckets([], 2) == []


@pytest.mark.parametrize("part_bytes", [None, 700], ids=["whole-files", "jsonl-parts"])
def test_ray_equals_local(
    local_ray: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part_bytes: int | None
) -> None:
    from unspin.cluster import ray_job
    from unspin.cluster.ray_job import cluster_inputs_ray

    if part_bytes:  # the first file is read by several tasks, each a part of it
        monkeypatch.setattr(ray_job, "_PART_BYTES", part_bytes)
    docs = crawl()
    path = write_jsonl(
        tmp_path / "crawl.jsonl",
        docs,
        extra={
            2: '{"id": "broken", "text": ',
            3: "  ",  # a blank line: no record, but lines after it keep their numbers
            5: json.dumps({"id": docs[1].id, "text": "x y"}),
            6: json.dumps({"text": "No id: this record is named by its file and line."}),
        },
    )
    if part_bytes:
        assert len(ray_job._read_items([str(path)], ReadOptions())) > 3
    more = write_jsonl(tmp_path / "more.jsonl", crawl(dates=False)[3:7])  # repeated ids
    # Undated copies of the first campaign: a cluster with and without dates.
    copies = [dataclasses.replace(d, id=f"u/{d.id}") for d in crawl(dates=False)[:3]]
    undated = write_jsonl(tmp_path / "undated.jsonl", copies)
    expected = {**EXPECTED}
    first = "harbor-wire-0001"
    expected[first] = EXPECTED[first] + [d.id for d in copies]
    # A file of nothing but bad records: a block without one candidate document.
    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"id": "cut", "text": \n[1, 2]\n', encoding="utf-8")
    inputs = [str(path), str(more), str(undated), str(junk)]
    for verify in (True, False):
        local = cluster_inputs(inputs, None, ClusterOptions(workers=1, verify=verify))
        remote = cluster_inputs_ray(inputs, None, ClusterOptions(workers=2, verify=verify))
        assert remote.skipped == local.skipped and len(local.skipped) == 8
        assert remote.documents == local.documents
        assert [s.to_dict() for s in remote.sites] == [s.to_dict() for s in local.sites]
        assert remote.stats == local.stats
        lrec, rrec = records(local), records(remote)
        assert rrec == lrec
        assert {r["root"]: r["members"] for r in lrec} == expected
        assert lrec[1]["root_by"] == "date"
        if WORDFREQ:
            assert lrec[0]["root_by"] == "frequency"
        assert {r["verified"] for r in lrec} == {verify}


def test_ray_with_archive_equals_local(
    local_ray: None, archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With an archive every component is verified in a task of its own bucket (triage too:
    # the root is traced there); the tasks take their documents from the read blocks.
    # Input and archive named relative to a working directory the Ray workers do not have.
    from unspin.cluster.ray_job import cluster_inputs_ray

    write_jsonl(tmp_path / "spins.jsonl", [d for d in crawl() if d.id.startswith("farm-")])
    monkeypatch.chdir(tmp_path)
    path, refs = "spins.jsonl", os.path.relpath(archive.path)
    assert not os.path.isabs(refs)
    for verify in (True, False):
        opts = ClusterOptions(workers=2, archive=refs, verify=verify)
        local = records(cluster_inputs([path], None, dataclasses.replace(opts, workers=1)))
        remote = records(cluster_inputs_ray([path], None, opts))
        assert remote == local and len(local) == 3
        assert all(r["sources"] for r in remote)


def test_readme_ray_example_runs_job_after_job(
    local_ray: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The README's Python example, as written there: two jobs in one Ray (this module's),
    # each the same clusters as the local runner.
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(from unspin\.cluster import .*?)```", readme, re.S)
    assert code and "cluster_inputs_ray" in code.group(1)
    docs = crawl()
    write_jsonl(tmp_path / "monday.jsonl", docs[:7])
    write_jsonl(tmp_path / "tuesday.jsonl", docs[7:])
    monkeypatch.chdir(tmp_path)
    exec(compile(code.group(1), "README.md", "exec"), {})
    for day in ("monday", "tuesday"):
        got = (tmp_path / f"{day}.clusters.jsonl").read_text(encoding="utf-8").splitlines()
        local = cluster_inputs([f"{day}.jsonl"], None, ClusterOptions(workers=1))
        assert [json.loads(line) for line in got] == records(local)
        assert got  # each day holds a campaign


def test_cluster_alignment_equals_trace_alignment() -> None:
    # verify_component encodes the sentences once per component (one coding for all its
    # documents): the alignments must be those of align on each pair alone.
    from unspin.align import Codes, Encoded, align, align_encoded
    from unspin.cluster import CandidateDoc

    docs = crawl()
    an = [CandidateDoc(i, d.id, d.text, title=d.title).analysis() for i, d in enumerate(docs)]
    codes = Codes()
    en = [Encoded(a, codes) for a in an]
    for i in range(len(an)):
        for j in range(len(an)):
            if i != j:
                assert align_encoded(en[i], en[j]) == align(an[i], an[j])


def test_skeleton_keeps_what_spinners_leave() -> None:
    from unspin.fingerprint import skeleton

    text = "The council met in Paris on 3 May.\nCouncil members said the Paris talks failed."
    # "The" and "Council" open their sentences: a function word stays, a capitalised
    # word only if it is capitalised mid-sentence elsewhere (it is not).
    assert skeleton(text) == [
        ["the", "in", "paris", "on", "3", "may"],
        ["the", "paris"],
    ]
    spun = "The board gathered in Paris on 3 May.\nBoard people stated the Paris discussions broke."
    assert skeleton(spun) == skeleton(text)


def test_plainness_by_code_is_plainness_by_word() -> None:
    # The per-component table of Zipf values, gathered by code, gives each document the
    # mean _plainness computes word by word, to the last bit (a made-up scale: each
    # word's value from its letters).
    from unspin.align import Codes, Encoded
    from unspin.cluster.records import CandidateDoc
    from unspin.cluster.verify import _plainness, _plainness_all

    def scale(word: str) -> float:
        return sum(map(ord, word)) % 97 / 13.0

    texts = [d.text for d in example_originals()]
    texts += ["", "12 , 3 .", "Über die Brücke, sagte er.\n\nThe end"]
    codes = Codes()
    analyses = [CandidateDoc(k, str(k), t).analysis() for k, t in enumerate(texts)]
    encoded = [Encoded(a, codes) for a in analyses]
    assert _plainness_all(encoded, codes, scale) == [_plainness(a, scale) for a in analyses]
    assert len(set(_plainness_all(encoded, codes, scale))) > 3


TEXTS = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ['"quoted"', "back\\slash", "tab\tnew\nline\r", "\x00\x1f\x7f", "Zoë — “Kyiv”", ""]
)
SCORES = (
    st.none()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.0, -0.0, 1.0, 0.1234, 1e-7, 1e22])
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            TEXTS, st.none() | TEXTS, st.none() | TEXTS, SCORES,
            st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), TEXTS, TEXTS)),
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["date", "frequency", "coverage", "first"]),
    st.booleans(),
)  # fmt: skip
def test_records_are_written_as_json_dumps_writes_them(
    members: list[tuple[str, str | None, str | None, float | None, list[Any]]],
    root_by: str,
    verified: bool,
) -> None:
    from unspin.cluster.records import Cluster, Member

    cluster = Cluster(
        tuple(
            Member(i, k, url, site, url, score, score, None, tuple(subs))
            for k, (i, url, site, score, subs) in enumerate(members)
        ),
        root_by,
        verified=verified,
    )
    record = cluster.to_dict(0)
    del record["cluster"]
    assert cluster.to_json() == json.dumps(record, ensure_ascii=False)
