"""Plumbing of the intrinsic check with a tiny randomly initialised language model.

Quality is measured in bench/detect_bench.py; here every stage must run, connect and
keep its contracts (offsets, fields, thresholds, errors)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from unspin import Archive, Document
from unspin.check import check
from unspin.detect import flags_from, score_suspects
from unspin.errors import UnspinError
from unspin.lexicon import Lexicon
from unspin.scorer import Scorer
from unspin.segment import analyze

from .conftest import example_originals, example_text


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from unspin.testing import build_tiny_lm

    return build_tiny_lm(tmp_path_factory.mktemp("tiny-lm"))


@pytest.fixture(scope="session")
def scorer(tiny_model: Path) -> Scorer:
    return Scorer(str(tiny_model), threads=1, batch_size=8)


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    return Lexicon(use_glove=False, mythes=None)


def test_scorer_token_scores_cover_the_text(scorer: Scorer) -> None:
    text = "The panel met on Saturday in Orska."
    (ts,) = scorer.token_scores([text])
    assert len(ts.offsets) == len(ts.logprobs) > 3
    assert all(lp < 0 and math.isfinite(lp) for lp in ts.logprobs)
    assert ts.offsets[0][0] == 0 and ts.offsets[-1][1] == len(text)
    # Batched and single scoring agree (padding must not leak into the scores).
    a = scorer.continuation_scores([("The panel met", " on Saturday"), ("A", " b c d e f g")])
    b = scorer.continuation_scores([("The panel met", " on Saturday")])
    assert a.shape == (2,) and abs(float(a[0]) - float(b[0])) < 1e-4


def test_lexicon_reverse_lookup_keeps_inflection(lexicon: Lexicon) -> None:
    cands = [c.text for c in lexicon.candidates("discussions", 20)]
    assert "talks" in cands
    assert all(not c.startswith("discussion") for c in cands)
    assert "peace" in [c.text for c in lexicon.candidates("harmony", 40)]


def test_scorer_distributions_agree_with_token_scores(scorer: Scorer) -> None:
    text = "The panel met on Saturday in Orska."
    at = [text.index("met"), text.index("Saturday")]
    ts = scorer.token_scores([text], dists_at=[at])[0]
    assert ts.dists.shape[0] == 2
    for row, c in enumerate(at):
        # The distribution in front of a word holds that word's own log-probability.
        tok = next(i for i, (s, e) in enumerate(ts.offsets) if e > c)
        ids = scorer.tokenizer(text, add_special_tokens=False)["input_ids"]
        assert ts.dists[row][ids[tok]] == pytest.approx(float(ts.logprobs[tok]), abs=1e-3)
    assert scorer.first_token(" met") == scorer.first_token(" met")
    ids = scorer.tokenizer(" Orska", add_special_tokens=False)["input_ids"]
    assert (scorer.first_token(" Orska"), scorer.n_tokens(" Orska")) == (ids[0], len(ids))


def test_scorer_tail_scores_equal_full_scores(scorer: Scorer) -> None:
    seq = [scorer.start_id, *scorer.tokenizer("The panel met on Saturday")["input_ids"]]
    (full,), _, _ = scorer._forward([seq])
    (tail,), _, _ = scorer._forward([seq], tail=[2])
    assert tail[-2:] == pytest.approx(full[-2:], abs=1e-3)
    assert (tail[:-2] == 0).all()


def test_scorer_dtype_is_checked(tiny_model: Path) -> None:
    from unspin.scorer import resolve_dtype

    assert resolve_dtype("float32", "cpu") == "float32"
    assert resolve_dtype("auto", "cuda") == "bfloat16"
    with pytest.raises(UnspinError, match="unknown dtype"):
        Scorer(str(tiny_model), threads=1, dtype="float8")


def test_inflection_follows_the_spun_word() -> None:
    from unspin.lexicon import forms_of, inflect

    assert ("say", "VBD") in forms_of("said")
    assert ("criticise", "VBD") in forms_of("criticised")
    assert inflect("say", "VBD") == "said"
    assert inflect("sign up", "VBD") == "signed up"
    assert inflect("peace talk", "NNS") == "peace talks"
    assert inflect("talk", "") == "talk"
    assert inflect("due", "VBD") == ""  # not a verb: no candidate


def _with_mythes(tmp_path: Path, entries: str) -> Lexicon:
    """A lexicon with a small MyThes file in Debian's format."""
    dat = tmp_path / "th.dat"
    dat.write_text("UTF-8\n" + entries)
    return Lexicon(use_glove=False, mythes=dat)


def test_mythes_marks_are_read_and_antonyms_dropped(tmp_path: Path) -> None:
    lex = _with_mythes(
        tmp_path,
        "say|1\n(verb)|express|verbalise (generic term)|keep quiet (antonym)\n"
        "talk|1\n(noun)|discussion (similar term)\n",
    )
    assert "mythes" in lex.sources
    assert "say" in lex.reverse["verbalise"]
    assert "say" not in lex.reverse.get("keep quiet", set())
    assert "talk" in lex.reverse["discussion"]
    assert "said" in [c.text for c in lex.candidates("verbalised", 50)]


def test_suspects_are_scored_and_thresholds_apply(scorer: Scorer, lexicon: Lexicon) -> None:
    a = analyze(example_text("spun.txt"))
    scored = score_suspects(a, scorer, lexicon)
    assert scored, "content words with thesaurus entries must become suspects"
    for s in scored:
        assert len(s.candidates) == len(s.gains) == len(s.zipfs) > 0
        assert a.kinds[s.start] == "w"
    with_context = [s for s in scored if s.has_left_context]
    assert len(flags_from(scored, min_prob=-1.0)) == len(with_context)
    assert flags_from(scored, min_prob=2.0) == []


def test_candidates_rescored_are_the_rankers_best(scorer: Scorer, lexicon: Lexicon) -> None:
    from unspin.detect import _content_positions, rank_logits, span_candidates

    a = analyze(example_text("spun.txt"))
    spans = {
        (sc.start, sc.end): sc for sc in span_candidates(a, _content_positions(a), scorer, lexicon)
    }
    assert spans
    for sc in spans.values():
        assert all(len(v) == len(sc.found) for v in sc.features.values())
    scored = score_suspects(a, scorer, lexicon, k=3)
    for s in scored:
        sc = spans[(s.start, s.end)]
        z = rank_logits(sc.features)
        top = sorted(range(len(z)), key=lambda i: -z[i])[:3]
        assert set(s.candidates) == {sc.found[i].text for i in top}
        assert s.ranks[0] == 0.0 and list(s.ranks) == sorted(s.ranks, reverse=True)
    # The spans re-scored are the most suspicious ones.
    from unspin.detect import selection_features, suspicion

    sus = {
        key: suspicion(selection_features(sc, rank_logits(sc.features)))
        for key, sc in spans.items()
    }
    kept = {(s.start, s.end) for s in scored}
    assert len(kept) < len(spans)  # the example has more spans than are re-scored
    assert min(sus[k] for k in kept) >= max(v for k, v in sus.items() if k not in kept)


def test_check_report_contract_and_offsets(scorer: Scorer, lexicon: Lexicon) -> None:
    text = example_text("spun.txt")
    r = check(Document(id="s", text=text), scorer=scorer, lexicon=lexicon)
    d = r.to_dict()
    assert {
        "id",
        "verdict",
        "spin_score",
        "sources",
        "substitutions",
        "restored",
        "stray",
        "language",
    } <= d.keys()
    assert d["verdict"] in ("spun", "clean") and 0.0 <= d["spin_score"] <= 1.0
    assert [x["reason"] for x in d["stray"]] == ["glued-headline"]
    for s in r.substitutions:
        assert text[s.start : s.end] == s.text and s.source_id is None
        assert 0.0 < s.confidence <= 1.0
    json.dumps(d)  # serialisable


def test_archive_backed_substitutions_win(tmp_path: Path, scorer: Scorer, lexicon: Lexicon) -> None:
    with Archive(tmp_path / "a.db", create=True) as arc:
        arc.add(example_originals())
        r = check(example_text("spun.txt"), archive=arc, scorer=scorer, lexicon=lexicon)
    assert r.verdict == "spun" and r.sources[0].id == "harbor-wire-0002"
    backed = [s for s in r.substitutions if s.source_id == "harbor-wire-0002"]
    guessed = [s for s in r.substitutions if s.source_id is None]
    assert ("harmony", "peace") in {(s.text, s.original) for s in backed}
    for g in guessed:
        assert not any(b.start < g.end and g.start < b.end for b in backed)
    assert "lightning offensive" in r.restored


def test_non_english_and_wordless_text(scorer: Scorer, lexicon: Lexicon) -> None:
    r = check(
        "Der Stadtrat hat am Montag beschlossen, dass das neue Terminal im Mai "
        "eröffnet wird, zwei Monate später als geplant.",
        scorer=scorer,
        lexicon=lexicon,
    )
    assert r.verdict == "not-english" and r.substitutions == []
    r = check("2024 - 2025: 17, 18, 19.", scorer=scorer, lexicon=lexicon)
    assert r.verdict == "clean" and r.substitutions == []


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UnspinError, match="cannot load model"):
        Scorer(str(tmp_path / "no-such-model"))


def test_cli_check_json_and_bad_input(tmp_path: Path, tiny_model: Path) -> None:
    spun = tmp_path / "spun.txt"
    spun.write_text(example_text("spun.txt"), encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "unspin",
            "check",
            str(spun),
            str(empty),
            "--json",
            "--model",
            str(tiny_model),
            "--threads",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr  # one input was unreadable, the other checked
    (line,) = r.stdout.splitlines()
    assert json.loads(line)["id"] == str(spun)
    assert "empty file" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "unspin", "check", str(spun), "--model", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2 and "cannot load model" in r.stderr and "Traceback" not in r.stderr


def test_spun_phrase_composed_into_a_known_expression(tmp_path: Path) -> None:
    lex = _with_mythes(
        tmp_path,
        "artificial|1\n(adj)|counterfeit\nintelligence|1\n(noun)|consciousness\n"
        "artificial intelligence|1\n(noun)|AI (generic term)\n",
    )
    cands = [c.text for c in lex.candidates("counterfeit consciousness", 8)]
    assert "artificial intelligence" in cands


def test_packed_continuations_equal_one_by_one(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = Scorer(str(tiny_model), threads=1, batch_size=3, dtype="float32")
    pairs = [
        ("The panel met", " on Saturday"),
        ("The panel met", " in a long session"),
        ("Officials in Orska said", " the road was closed"),
        ("The panel met", " late"),
    ]
    packed = sc.continuation_scores(pairs)
    assert sc._packing is True, "the Llama test model honours block attention masks"
    sc._packing = False
    plain = sc.continuation_scores(pairs)
    assert packed == pytest.approx(plain, abs=1e-3)
    # The vocabulary projection runs a block of rows at a time: blocks of two rows give
    # the same scores, packed and plain.
    import unspin.scorer

    whole = sc.token_scores(["Officials in Orska said the road was closed."])[0].logprobs
    monkeypatch.setattr(unspin.scorer, "_HEAD_ROWS", 2)
    assert sc.continuation_scores(pairs) == pytest.approx(plain, abs=1e-4)
    sc._packing = True
    assert sc.continuation_scores(pairs) == pytest.approx(packed, abs=1e-4)
    blocks = sc.token_scores(["Officials in Orska said the road was closed."])[0].logprobs
    assert blocks == pytest.approx(whole, abs=1e-4)


def test_scorer_span_states_are_the_hidden_states_around_a_span(scorer: Scorer) -> None:
    import torch

    text = "The panel met on Saturday in Orska."
    cs, ce = text.index("met on"), text.index("met on") + len("met on")
    ids = scorer.tokenizer(text, add_special_tokens=False)["input_ids"]
    seq = torch.tensor([[scorer.start_id, *ids]])
    with torch.inference_mode():
        out = scorer.model.get_decoder()(input_ids=seq, output_hidden_states=True)
    got = {}
    for layer, h in ((None, out.last_hidden_state[0]), (1, out.hidden_states[1][0])):
        (ts,) = scorer.token_scores([text], spans_at=[[(cs, ce), (0, 3)]], layer=layer)
        got[layer] = ts.span_states
        assert ts.span_states.shape == (2, 3, scorer.model.config.hidden_size)
        inside = [t for t, (s, e) in enumerate(ts.offsets) if s < ce and e > cs]
        assert len(inside) >= 2
        # In front of the span, at its last token, after it (the start token is position 0).
        want = h[[inside[0], inside[-1] + 1, inside[-1] + 2]].float().numpy()
        assert ts.span_states[0] == pytest.approx(want, abs=1e-4)
    assert abs(got[None] - got[1]).max() > 1e-2  # another layer, other states
    assert scorer.token_scores([text])[0].span_states.size == 0  # only when asked


def test_probe_reads_the_first_pass_into_detection(
    scorer: Scorer, lexicon: Lexicon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from unspin.detect import _content_positions, first_pass, span_candidates, word_features
    from unspin.probe import SpanProbe, shipped_probe

    a = analyze(example_text("spun.txt"))
    content = _content_positions(a)
    # The tiny model has no probe: every span reads 0.
    assert scorer.probe is None
    assert {sc.probe for sc in span_candidates(a, content, scorer, lexicon)} == {0.0}
    hidden = scorer.model.config.hidden_size
    rng = np.random.default_rng(0)
    probe = SpanProbe(rng.normal(size=3 * hidden).astype(np.float32), 0.25, layer=1)
    probe.save(tmp_path / "p.npz")
    probe = SpanProbe.load(tmp_path / "p.npz")
    assert probe.layer == 1
    monkeypatch.setattr(scorer, "probe", probe)
    spans = span_candidates(a, content, scorer, lexicon)
    fp = first_pass(a, scorer, {sc.start: sc.end for sc in spans}, states=True, layer=1)
    for sc in spans:
        want = float(probe.logits(fp.states[sc.start][None])[0])
        assert sc.probe == pytest.approx(want, abs=1e-3)
    assert len({round(sc.probe, 3) for sc in spans}) > 1
    scored = score_suspects(a, scorer, lexicon)
    by_span = {(sc.start, sc.end): sc.probe for sc in spans}
    for s in scored:
        assert s.probe == pytest.approx(by_span[(s.start, s.end)], abs=1e-3)
        assert word_features(s)["probe"] == s.probe
    # Weights belong to one model: none for an unknown name or another hidden size.
    assert shipped_probe("some/other-model", 576) is None
    assert shipped_probe("smollm2", hidden) is None
    shipped = shipped_probe("smollm2", 576)
    assert shipped is not None and shipped.hidden_size == 576


def test_a_document_called_clean_keeps_no_flags(
    scorer: Scorer, lexicon: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unspin import calibration
    from unspin.detect import judge

    a = analyze(example_text("spun.txt"))
    scored = score_suspects(a, scorer, lexicon)
    every = flags_from(scored, min_prob=-1.0)
    assert every
    monkeypatch.setattr(calibration, "SPUN_THRESHOLD", 0.0)  # every document is spun
    got = judge(scored, 100, min_prob=-1.0)
    assert got.flags == every and got.features["flag_rate"] == len(every) / 100
    monkeypatch.setattr(calibration, "SPUN_THRESHOLD", 1.01)  # none is
    got = judge(scored, 100, min_prob=-1.0)
    assert got.flags == [] and got.spin_score < 1.01 and got.features["flag_rate"] == 0.0


def test_context_window_puts_restored_words_in_the_context() -> None:
    from unspin.detect import context_window

    a = analyze("The long harmony track stalled as cultural leaders met in the old port city.")
    k = a.tokens.index("stalled")
    h, c = a.tokens.index("harmony"), a.tokens.index("cultural")
    left, right = context_window(a, k, k + 1, "stopped")
    assert (left, right) == ("The long harmony track", " stopped as cultural")
    restored = {h: (h + 1, "peace"), c: (c + 1, "ethnic"), k: (k + 1, "ignored")}
    left, right = context_window(a, k, k + 1, "stopped", right_words=4, restored=restored)
    assert left == "The long peace track"  # its own span's entry is not read
    assert right == " stopped as ethnic leaders met"
    # A restored phrase counts whole: "track stalled" -> "process" cut at one left word.
    t = a.tokens.index("track")
    left, _ = context_window(a, c, c + 1, "ethnic", left_words=2, restored={t: (t + 2, "process")})
    assert left == "process as"


def test_second_reading_reranks_suggestions_only(scorer: Scorer, lexicon: Lexicon) -> None:
    from unspin.detect import RESERVE, judge
    from unspin.reread import reread, reread_scored

    a = analyze(example_text("spun.txt"))
    scored = score_suspects(a, scorer, lexicon, k=3)
    assert any(s.reserve for s in scored), "spans with more candidates keep a reserve"
    for s in scored:
        assert len(s.candidates) + len(s.reserve) <= max(3, RESERVE)
        assert [r[2] for r in s.reserve] == sorted((r[2] for r in s.reserve), reverse=True)
        assert all(r[2] <= s.ranks[-1] for r in s.reserve)
    flags = judge(scored, 100, min_prob=-1.0).flags
    assert flags
    again = reread(a, scorer, flags, scored)
    assert [(f.start, f.end, f.probability) for f in again] == [
        (f.start, f.end, f.probability) for f in flags
    ]
    by_span = {(s.start, s.end): s for s in scored}
    rescored = reread_scored(a, scorer, flags, [by_span[(f.start, f.end)] for f in flags])
    for f, s in zip(again, rescored, strict=True):
        pool = by_span[(f.start, f.end)]
        assert s.candidates == pool.candidates + tuple(r[0] for r in pool.reserve)
        assert len(s.gains) == len(s.candidates) and s.reserve == ()
        assert {x.text for x in f.suggestions} <= set(s.candidates)
        # Each suggestion holds its share of the flag's probability, which stays.
        assert 0.0 <= sum(x.confidence for x in f.suggestions) <= f.probability + 1e-3
    assert reread(a, scorer, flags, scored, rounds=0) == flags


def test_source_backed_originals_make_the_second_readings_context() -> None:
    from unspin.check import _token_spans
    from unspin.detect import Flag, Suggestion
    from unspin.report import CheckSubstitution
    from unspin.reread import context_of

    text = "Glued headline here.\n\nThe harmony track stalled as cultural leaders met."
    a = analyze(text).without([(0, 20)])
    h, c = text.index("harmony track"), text.index("cultural")
    subs = [
        CheckSubstitution(h, h + len("harmony track"), "harmony track", "peace process", "src"),
        CheckSubstitution(c, c + 3, "cul", "eth", "src"),  # not on token bounds: no span
    ]
    known = _token_spans(a, subs)
    ((start, (end, original)),) = known.items()
    assert " ".join(a.tokens[start:end]) == "harmony track" and original == "peace process"
    # The source's original wins over a flag on the same words; other flags stay.
    k = a.tokens.index("cultural")
    flags = [
        Flag(start + 1, start + 2, 1.0, (Suggestion("path", 0.5, 1.0),), 0.5),
        Flag(k, k + 1, 1.0, (Suggestion("ethnic", 0.5, 1.0),), 0.5),
    ]
    assert context_of(flags, known) == {start: (end, "peace process"), k: (k + 1, "ethnic")}
    assert context_of(flags) == {start + 1: (start + 2, "path"), k: (k + 1, "ethnic")}
