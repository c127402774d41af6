from __future__ import annotations

import random
from pathlib import Path

from rapidfuzz.distance import Indel

from unspin import Archive, Document, trace
from unspin.align import Change, _lcs_changes

from .conftest import example_originals, example_text


def test_spun_copy_is_traced_with_substitutions(archive: Archive) -> None:
    text = example_text("spun.txt")
    r = trace(Document(id="spun", text=text), archive)
    assert r.verdict == "copy"
    assert r.sources[0].id == "harbor-wire-0002"
    assert r.sources[0].coverage > 0.8
    assert 0.8 < r.sources[0].reused <= 1.0
    pairs = {(s.text, s.original) for s in r.substitutions}
    assert ("harmony", "peace") in pairs
    assert ("participated", "took part") in pairs
    for s in r.substitutions:
        assert text[s.start : s.end] == s.text
        assert s.source_id == "harbor-wire-0002"
    assert "lightning offensive launched" in r.restored
    assert "thunder" not in r.restored
    # The glued headline of another story is reported as stray and left out.
    assert [(x.text, x.reason) for x in r.stray] == [
        ("Local bakery in Pellworth wins national sourdough award", "glued-headline")
    ]
    assert r.restored.startswith("ORSKA, March 14")


def test_independent_report_of_same_event_has_no_source(archive: Archive) -> None:
    r = trace(example_text("independent.txt"), archive)
    assert r.verdict == "no-source"
    assert r.sources == [] and r.substitutions == []
    assert r.restored == example_text("independent.txt")


def test_spun_copy_of_unarchived_article_has_no_source(tmp_path: Path) -> None:
    docs = [d for d in example_originals() if d.id != "harbor-wire-0002"]
    with Archive(tmp_path / "a.db", create=True) as arc:
        arc.add(docs)
        r = trace(example_text("spun.txt"), arc)
    assert r.verdict == "no-source"


def test_homoglyph_evasion_is_folded_and_offsets_stay_in_input(archive: Archive) -> None:
    text = example_text("spun.txt")
    text = text.replace("harmony", "h\u0430rmony").replace("Orska", "Or\u200bska")
    r = trace(text, archive)
    assert r.verdict == "copy"
    assert r.evasions["homoglyphs"] >= 1 and r.evasions["zero_width"] >= 1
    for s in r.substitutions:
        assert text[s.start : s.end] == s.text
    assert any(s.text == "h\u0430rmony" and s.original == "peace" for s in r.substitutions)


def test_to_dict_is_the_json_contract(archive: Archive) -> None:
    d = trace(example_text("spun.txt"), archive).to_dict()
    assert {"id", "verdict", "sources", "substitutions", "restored"} <= d.keys()
    assert {"id", "score", "coverage", "reused"} <= d["sources"][0].keys()
    assert {"start", "end", "text", "original", "source_id"} == d["substitutions"][0].keys()


def _changes_from_opcodes(
    c: str, s: str, c_off: int, s_off: int, kinds: str
) -> tuple[int, list[Change]]:
    """The straightforward reading of an LCS alignment: walk its opcodes, merge each run
    of unequal ones into one change."""
    matched = 0
    changes: list[Change] = []
    pending: list[int] | None = None
    for op in Indel.opcodes(c, s):
        if op.tag == "equal":
            i, j = c_off + op.src_start, c_off + op.src_end
            matched += (j - i) - kinds.count("p", i, j)
            if pending:
                changes.append(Change(*pending))
                pending = None
        elif pending is None:
            pending = [c_off + op.src_start, c_off + op.src_end, s_off + op.dest_start]
            pending.append(s_off + op.dest_end)
        else:
            pending[1], pending[3] = c_off + op.src_end, s_off + op.dest_end
    if pending:
        changes.append(Change(*pending))
    return matched, changes


def test_word_alignment_changes_are_the_gaps_between_equal_runs() -> None:
    rng = random.Random(0)
    for _ in range(3000):
        alpha = "abcdefg"[: rng.randint(1, 7)]
        c = "".join(rng.choice(alpha) for _ in range(rng.randint(0, 15)))
        s = "".join(rng.choice(alpha) for _ in range(rng.randint(0, 15)))
        kinds = "".join(rng.choice("wnp") for _ in range(len(c) + 3))
        expected = _changes_from_opcodes(c, s, 3, 5, kinds)
        assert _lcs_changes(c, s, 3, 5, kinds, "") == expected, (c, s)
