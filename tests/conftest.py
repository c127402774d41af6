from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from unspin import Archive, Document

EXAMPLES = resources.files("unspin") / "examples"


def example_originals() -> list[Document]:
    docs = []
    for line in (EXAMPLES / "originals.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        docs.append(Document(id=d["id"], text=d["text"], title=d["title"], url=d["url"]))
    return docs


def example_text(name: str) -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


@pytest.fixture()
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive(tmp_path / "refs.db", create=True) as arc:
        arc.add(example_originals())
        yield arc


@pytest.fixture()
def originals_jsonl(tmp_path: Path) -> Path:
    p = tmp_path / "originals.jsonl"
    p.write_text((EXAMPLES / "originals.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    return p
