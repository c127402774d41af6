from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import pytest

from unspin.readers import (
    Document,
    ReadOptions,
    ReadProblem,
    jsonl_parts,
    read_inputs,
    read_jsonl_part,
)


def _read(*paths: Path | str, **kw: object) -> list[Document | ReadProblem]:
    return list(read_inputs([str(p) for p in paths], ReadOptions(**kw)))  # type: ignore[arg-type]


def test_text_file_and_directory(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_text("First article text.", encoding="utf-8")
    (tmp_path / "d" / "b.txt").write_text("Second article text.", encoding="utf-8")
    (tmp_path / "d" / ".hidden").write_text("ignored", encoding="utf-8")
    items = _read(tmp_path / "d")
    assert [type(i) for i in items] == [Document, Document]
    assert [i.text for i in items if isinstance(i, Document)] == [
        "First article text.",
        "Second article text.",
    ]


def test_jsonl_malformed_line_is_reported_with_its_number(tmp_path: Path) -> None:
    p = tmp_path / "docs.jsonl"
    p.write_text(
        json.dumps({"id": "a", "text": "Alpha text."})
        + "\n{not json\n"
        + json.dumps({"id": "c", "text": "Gamma text.", "title": "G"})
        + "\n"
        + json.dumps({"id": "d", "body": "no text field"})
        + "\n"
        + json.dumps(["a", "list"])
        + "\n",
        encoding="utf-8",
    )
    items = _read(p)
    docs = [i for i in items if isinstance(i, Document)]
    problems = [i for i in items if isinstance(i, ReadProblem)]
    assert [d.id for d in docs] == ["a", "c"]
    assert docs[1].title == "G"
    assert [pr.origin for pr in problems] == [f"{p}:2", f"{p}:4", f"{p}:5"]
    assert "malformed JSON" in problems[0].message
    assert "'text'" in problems[1].message


def test_jsonl_lone_surrogates_are_reported(tmp_path: Path) -> None:
    # JSON can escape half of a surrogate pair; such a string is not Unicode text and no
    # UTF-8 output can hold it, so the record is reported. A whole pair is one character.
    p = tmp_path / "docs.jsonl"
    lines = [
        '{"id": "a", "text": "Alpha \\ud83d\\ude00 text."}',
        '{"id": "b", "text": "Beta \\ud83d text."}',
        '{"id": "c\\udc00", "text": "Gamma text."}',
        '{"id": "d", "text": "Delta text.", "url": "https://x.example/\\ud800"}',
        '{"id": "e", "text": "Epsilon text.", "title": "T\\udfff"}',
        '{"id": "f", "text": "Zeta text."}',
    ]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = _read(p)
    docs = [i for i in items if isinstance(i, Document)]
    problems = [i for i in items if isinstance(i, ReadProblem)]
    assert [d.id for d in docs] == ["a", "f"]
    assert docs[0].text == "Alpha \U0001f600 text."
    assert [pr.origin for pr in problems] == [f"{p}:{n}" for n in (2, 3, 4, 5)]
    assert [pr.message.split(" holds")[0] for pr in problems] == ["text", "id", "url", "title"]
    assert "unpaired surrogate at character 5" in problems[0].message


def test_jsonl_custom_fields_and_gzip(tmp_path: Path) -> None:
    p = tmp_path / "docs.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        f.write(json.dumps({"key": 7, "body": "Some words here."}) + "\n")
    (doc,) = _read(p, text_field="body", id_field="key")
    assert isinstance(doc, Document) and doc.id == "7" and doc.text == "Some words here."


def test_bad_files_are_problems_not_exceptions(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"   \n")
    binary = tmp_path / "img.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\u00e9 au lait.".encode("latin-1"))
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 3000)
    garbage_gz = tmp_path / "bad.jsonl.gz"
    garbage_gz.write_bytes(b"not gzip at all")
    items = _read(empty, binary, latin, big, tmp_path / "missing.txt", garbage_gz, max_bytes=10_000)
    assert all(isinstance(i, ReadProblem) for i in items)
    msgs = [str(i) for i in items]
    assert "empty file" in msgs[0]
    assert "binary" in msgs[1]
    assert "not valid utf-8" in msgs[2] and "--encoding" in msgs[2]
    assert "too large" in msgs[3]
    assert "no such file" in msgs[4]
    assert "cannot read" in msgs[5]


def test_other_encoding_can_be_asked_for(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\u00e9 au lait.".encode("latin-1"))
    (doc,) = _read(latin, encoding="latin-1")
    assert isinstance(doc, Document) and doc.text == "Caf\u00e9 au lait."


@pytest.mark.parametrize("size", [1, 40, 100, 1_000_000])
def test_jsonl_parts_read_like_the_whole_file(tmp_path: Path, size: int) -> None:
    lines = [
        json.dumps({"id": "a", "text": "First record."}),
        "",
        "   ",
        '{"id": "b", "text": ',  # malformed
        json.dumps({"text": "No id: named by file and line."}),
        json.dumps({"id": "c", "text": "Ünïcode text, then no final newline."}),
    ]
    path = tmp_path / "crawl.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    whole = list(read_inputs([str(path)]))
    parts = jsonl_parts(str(path), size)
    assert parts[0].start == 0 and parts[-1].end == path.stat().st_size
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    got: list[Document | ReadProblem] = []
    for p in parts:
        items = list(read_jsonl_part(str(path), p, ReadOptions()))
        assert p.records == len(got)  # the part's first item is the whole read's item number
        got.extend(items)
    assert got == whole
    assert len(whole) == 4
    assert isinstance(whole[1], ReadProblem) and whole[1].origin == f"{path}:4"
    assert isinstance(whole[2], Document) and whole[2].id == f"{path}:5"
    if size == 1:
        assert len(parts) == len(lines)


def test_a_base_directory_reads_relative_inputs_named_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a reader in another working directory (a Ray worker) reads of the planner's
    # relative inputs: the same documents and problems, the same origins.
    (tmp_path / "crawl" / "more").mkdir(parents=True)
    (tmp_path / "crawl" / "a.jsonl").write_text(
        json.dumps({"text": "Named by file and line."}) + "\n{broken\n", encoding="utf-8"
    )
    (tmp_path / "crawl" / "more" / "b.txt").write_text("A plain text file.", encoding="utf-8")
    (tmp_path / "one.jsonl").write_text(
        "\n".join(json.dumps({"id": f"d{i}", "text": f"Record {i}."}) for i in range(6)),
        encoding="utf-8",
    )
    inputs = ["crawl", "crawl/", "one.jsonl", "missing.jsonl", str(tmp_path / "one.jsonl")]
    monkeypatch.chdir(tmp_path)
    here = list(read_inputs(inputs))
    parts = jsonl_parts("one.jsonl", 30)
    here_parts = [list(read_jsonl_part("one.jsonl", p)) for p in parts]
    monkeypatch.chdir(tmp_path / "crawl")  # elsewhere: the relative names lead nowhere
    assert list(read_inputs(inputs)) != here
    based = list(read_inputs(inputs, base=str(tmp_path)))
    assert based == here and len(here) == 3 + 3 + 6 + 1 + 6
    origins = [x.origin for x in here]
    assert "crawl/a.jsonl:1" in origins and "crawl/more/b.txt" in origins
    assert "missing.jsonl" in origins and "one.jsonl:6" in origins
    assert [list(read_jsonl_part("one.jsonl", p, base=str(tmp_path))) for p in parts] == (
        here_parts
    )
    assert len(parts) > 1 and sum(map(len, here_parts)) == 6


def test_jsonl_parts_of_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    (part,) = jsonl_parts(str(path), 100)
    assert list(read_jsonl_part(str(path), part)) == list(read_inputs([str(path)])) == []
