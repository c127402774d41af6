from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from unspin import Archive

from .conftest import example_text

UNSPIN = [sys.executable, "-m", "unspin"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*UNSPIN, *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def test_demo_runs_and_finds_the_copy() -> None:
    r = run("demo", "--json", "--no-check")
    assert r.returncode == 0, r.stderr
    spun, indep = (json.loads(line) for line in r.stdout.splitlines())
    assert spun["verdict"] == "copy" and spun["sources"][0]["id"] == "harbor-wire-0002"
    assert indep["verdict"] == "no-source"


def test_index_then_trace_json_and_terminal(tmp_path: Path, originals_jsonl: Path) -> None:
    db = tmp_path / "refs.db"
    r = run("index", "add", str(db), str(originals_jsonl))
    assert r.returncode == 0, r.stderr
    assert "added 5" in r.stderr
    spun = tmp_path / "spun.txt"
    spun.write_text(example_text("spun.txt"), encoding="utf-8")
    r = run(
        "trace",
        str(spun),
        "-",
        "--archive",
        str(db),
        "--json",
        stdin=example_text("independent.txt"),
    )
    assert r.returncode == 0, r.stderr
    a, b = (json.loads(line) for line in r.stdout.splitlines())
    assert a["id"] == str(spun) and a["verdict"] == "copy"
    assert b["id"] == "stdin" and b["verdict"] == "no-source"
    r = run("trace", str(spun), "--archive", str(db))
    assert r.returncode == 0
    assert "COPY" in r.stdout and "harbor-wire-0002" in r.stdout
    assert "harmony[peace]" in r.stdout
    r = run("index", "stats", str(db), "--json")
    assert json.loads(r.stdout)["documents"] == 5


def test_bad_inputs_give_one_line_errors_and_keep_the_rest(tmp_path: Path) -> None:
    db = tmp_path / "refs.db"
    jl = tmp_path / "docs.jsonl"
    jl.write_text(
        '{"id": "x1", "text": "A fine article about the harbour."}\n'
        '{"id": "x2", "text": \n'
        '{"id": "x3", "text": "Another fine article about rain."}\n',
        encoding="utf-8",
    )
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "latin.txt").write_bytes("Caf\u00e9".encode("latin-1"))
    big = tmp_path / "big.txt"
    with big.open("wb") as f:  # a 50 MB text
        chunk = b"The council met again on Tuesday to discuss the budget. " * 1000
        while f.tell() < 50 * 1024 * 1024:
            f.write(chunk)
    bad = [str(tmp_path / n) for n in ("empty.txt", "bin.txt", "latin.txt", "big.txt")]
    r = run("index", "add", str(db), "--strict", str(jl), *bad)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert f"{jl}:2: malformed JSON" in r.stderr
    for needle in ("empty file", "binary file", "not valid utf-8", "too large"):
        assert needle in r.stderr
    assert "added 2" in r.stderr and "skipped 5" in r.stderr
    with Archive(db) as arc:
        assert sorted(arc.ids()) == ["x1", "x3"]
    # Without --strict a run that read something succeeds; each bad file alone fails.
    r = run("index", "add", str(db), str(jl))
    assert r.returncode == 0 and "skipped 1" in r.stderr
    for path in bad:
        r = run("index", "add", str(db), path)
        assert r.returncode == 1 and "Traceback" not in r.stderr, path
    with Archive(db) as arc:
        assert len(arc) == 2


def test_missing_and_corrupt_archives(tmp_path: Path) -> None:
    doc = tmp_path / "d.txt"
    doc.write_text("Some text to trace.", encoding="utf-8")
    r = run("trace", str(doc), "--archive", str(tmp_path / "none.db"))
    assert r.returncode == 2 and "archive not found" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.db"
    bad.write_bytes(os.urandom(4096))
    for args in (
        ["trace", str(doc), "--archive", str(bad)],
        ["index", "stats", str(bad)],
        ["index", "add", str(bad), str(doc)],
    ):
        r = run(*args)
        assert r.returncode == 2, args
        assert "not a valid unspin archive" in r.stderr and "Traceback" not in r.stderr


def test_ctrl_c_mid_batch_keeps_committed_batches(tmp_path: Path) -> None:
    db = tmp_path / "refs.db"
    jl = tmp_path / "many.jsonl"
    base = example_text("spun.txt")
    with jl.open("w", encoding="utf-8") as f:
        for i in range(200_000):
            f.write(json.dumps({"id": f"d{i}", "text": f"Copy {i}. {base}"}) + "\n")
    proc = subprocess.Popen(
        [*UNSPIN, "index", "add", str(db), str(jl), "--batch-size", "50"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until a few batches are committed
        time.sleep(0.5)
        if db.exists():
            try:
                with Archive(db) as arc:
                    if len(arc) >= 200:
                        break
            except Exception:
                pass
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    with Archive(db) as arc:
        arc.check()
        n = len(arc)
        assert n >= 200 and n % 50 == 0 and n < 200_000
