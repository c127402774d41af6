"""The C modules against their Python references: ``unspin._skeleton`` (skeleton
shingles hashed with the xxhash package), ``unspin._tokenize`` (the regex tokenizer of
:mod:`unspin.segment`), ``unspin._encode`` (:mod:`unspin.align`'s sentence coding),
``unspin._align`` (:mod:`unspin.align`'s sentence loop, whose word alignment the Python
version takes from rapidfuzz), ``unspin._sentences`` (:mod:`unspin.segment`'s lines and
sentences, blingfire called from Python), ``unspin._strays`` (:mod:`unspin.clean`'s stray
lines in ASCII text), ``unspin._minhash`` (the clustering sketch's MinHash in numpy). Each is
built by ``pip install -e .`` (make install): a missing module fails here."""

from __future__ import annotations

import json
from array import array
from pathlib import Path

import numpy as np
import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from unspin import _align, _encode, _minhash, _sentences, _skeleton, _strays, _tokenize, clean
from unspin.align import (
    _MARKS,
    _MIN_CLAUSE_SIM,
    MIN_SENTENCE_MATCH,
    Change,
    Codes,
    Encoded,
    SentencePair,
    _align_rows_py,
    _encode_py,
    align_encoded,
    encode_sentences,
    sentence_similarities,
)
from unspin.cluster.sketching import _signatures, _signatures_py, minhash_permutations
from unspin.fingerprint import (
    FingerprintParams,
    _band_keys_py,
    _skeleton_hashes_py,
    band_keys_of,
    skeleton_hashes,
)
from unspin.function_words import FUNCTION_WORDS
from unspin.segment import _SPLITTER, _sentences_py, _tokenize_py, analyze, tokenize
from unspin.trace import VerifiedSource, _substitution_spans_py, substitution_spans

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "unspin" / "examples"

# Pieces that exercise every rule: function words in three casings, names at and inside
# sentence starts, numbers, stops with and without a following space, line breaks, and
# Unicode whose classes differ (title case, superscript digits, Arabic-Indic digits,
# letters without case, a capital whose lower case is two characters, Greek final sigma,
# separators that str.isspace() counts).
PIECES = [
    "the", "The", "THE", "of", "And", "and", "Paris", "Paris", "Kyiv", "Ankara", "reported",
    "said", "42", "3.5", "2024", "_", "x_y", "ǅemal", "Ǆ", "²", "٣٤", "Ⅻ", "東京", "İstanbul",
    "ΣΟΦΙΑ", "Straße", "Éloïse", "émigré", "über", "Über", ".", "!", "?", ",", "-", "'",
    " ", " ", " ", "\n", "\t", "\u2029", "\x1c", "\u00a0", "\u3000", "..", ". ", "!\n", "?\t",
]  # fmt: skip


def _both(text: str, ngram: int = 3) -> tuple[list[int], list[int]]:
    return skeleton_hashes(text, ngram).tolist(), _skeleton_hashes_py(text, ngram).tolist()


def test_compiled_module_is_in_use() -> None:
    text = "The minister met Erdogan in Ankara on 12 May. Erdogan said the talks went well."
    assert skeleton_hashes(text, 3).tolist() == list(
        np.frombuffer(_skeleton.shingle_hashes(text, 3, FUNCTION_WORDS), dtype=np.uint32)
    )
    assert len(skeleton_hashes(text, 3)) > 0


@pytest.mark.parametrize(
    "data", [b"", b"a", b"abcd", b"sixteen bytes!!!", b"x" * 37, "ünïcode".encode() * 9]
)
def test_xxh32_matches_the_xxhash_package(data: bytes) -> None:
    assert _skeleton.xxh32(data) == xxhash.xxh32_intdigest(data)


def _examples() -> list[str]:
    texts = [p.read_text() for p in EXAMPLES.glob("*.txt")]
    texts += [json.loads(line)["text"] for line in (EXAMPLES / "originals.jsonl").open()]
    assert texts
    return texts


def test_example_texts_hash_the_same() -> None:
    for text in _examples():
        for ngram in (1, 2, 3, 5):
            c, py = _both(text, ngram)
            assert c == py
            assert c  # every example has a skeleton


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60), st.integers(1, 4))
def test_random_texts_hash_the_same(pieces: list[str], ngram: int) -> None:
    c, py = _both("".join(pieces), ngram)
    assert c == py


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode_hashes_the_same(text: str) -> None:
    c, py = _both(text)
    assert c == py


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="ngram"):
        _skeleton.shingle_hashes("text", 0, FUNCTION_WORDS)
    with pytest.raises(TypeError):
        _skeleton.shingle_hashes("text", 3, frozenset({1, 2}))  # type: ignore[arg-type]
    # A rejected word set leaves the loaded one in place.
    c, py = _both("The minister met Erdogan in Ankara. Erdogan said so.")
    assert c == py
    assert c


# -- tokens -------------------------------------------------------------------------------------

TOKEN_PIECES = [
    *PIECES, "1.13bn", "10:30", "3,000", "1.", "1.a", "U.S", "U.S.", "don't", "high-speed",
    "-", "--", "'s", "a'", "x.y.z", "٣.٤", "²³", "1²", "ǅ", "ß", "İ", "\u0130x", "ΣΑΣ", "_1",
    "\u200b", "\x00", "😀", "\U0001d400", "\t\n",
]  # fmt: skip


def test_the_compiled_tokenizer_is_in_use() -> None:
    assert tokenize is _tokenize.tokenize
    assert encode_sentences is _encode.encode


def test_example_texts_tokenize_the_same() -> None:
    for text in _examples():
        assert tokenize(text) == _tokenize_py(text)
        assert tokenize(text)[0]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKEN_PIECES), max_size=60))
def test_random_texts_tokenize_the_same(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert tokenize(text) == _tokenize_py(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode_tokenizes_the_same(text: str) -> None:
    assert tokenize(text) == _tokenize_py(text)


def test_every_ascii_character_is_classed_as_python_does() -> None:
    # ASCII classes come from a table in the C modules (_uclass.h): each of the 128 code
    # points, inside a word, a number, at a sentence start and alone, must give what the
    # Python references give.
    for c in map(chr, range(128)):
        text = f"Ab{c}cd and 1{c}2 the{c}Paris. {c}Kyiv of{c} Kyiv{c}{c}x_{c}y"
        assert tokenize(text) == _tokenize_py(text), repr(c)
        for ngram in (1, 3):
            c_hashes, py_hashes = _both(text, ngram)
            assert c_hashes == py_hashes, repr(c)


def test_tokens_and_offsets() -> None:
    tokens, starts, ends, kinds, caps = tokenize("The U.S. paid $1.13bn, don't  ask.")
    assert tokens == ["the", "u.s", ".", "paid", "$", "1.13bn", ",", "don't", "ask", "."]
    assert (starts[5], ends[5]) == (15, 21)
    assert list(starts) == [0, 4, 7, 9, 14, 15, 21, 23, 30, 33]
    assert list(ends) == [3, 7, 8, 13, 15, 21, 22, 28, 33, 34]
    assert kinds == "wwpwpnpwwp"
    assert caps[:3] == [True, True, False]


# -- sentence coding ----------------------------------------------------------------------------


def _coded_both(texts: list[str]) -> None:
    """Both codings of ``texts`` in turn, each with its own shared table: the same
    strings, and the same tables after."""
    ids_c: dict[str, str] = {}
    ids_py: dict[str, str] = {}
    for text in texts:
        a = analyze(text)
        got = _encode.encode(a.tokens, a.kinds, a.sentences, ids_c)
        want = _encode_py(a.tokens, a.kinds, a.sentences, ids_py)
        assert got == want
    assert ids_c == ids_py
    assert list(ids_c) == list(ids_py)  # codes given in the same order


def test_example_texts_code_the_same() -> None:
    _coded_both(_examples())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(TOKEN_PIECES), max_size=40), max_size=4))
def test_random_texts_code_the_same(texts: list[list[str]]) -> None:
    _coded_both(["".join(t) for t in texts])


def test_encoded_uses_the_shared_codes() -> None:
    codes = Codes()
    a, b = analyze("Peace talks resumed."), analyze("Harmony talks resumed.")
    ea, eb = Encoded(a, codes), Encoded(b, codes)
    assert ea.sents[0][1:] == eb.sents[0][1:]  # "talks resumed ." coded alike
    assert ea.sents[0][0] != eb.sents[0][0]
    assert ea.words == [3]
    assert ea.n_words == 3
    assert len(codes.ids) == 5


def test_encode_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="one kind per token"):
        _encode.encode(["a", "b"], "w", [(0, 2)], {})
    with pytest.raises(ValueError, match="out of range"):
        _encode.encode(["a"], "w", [(0, 2)], {})
    with pytest.raises(ValueError, match="one character"):
        _encode.encode(["a"], "w", [(0, 1)], {"a": "xy"})


# -- the sentence loop of alignment -------------------------------------------------------------

# Few distinct words, so that sentences tie, repeat and share words out of order; clause
# marks and stops so that clauses swap; long runs give sentences over 64 tokens (several
# words of bits per row).
ALIGN_PIECES = [
    "the ", "a ", "of ", "said ", "talks ", "peace ", "harmony ", "track ", "Ankara ",
    "minister ", "12 ", ", ", "; ", ": ", " \u2014 ", ". ", "? ", "\n", "\n\n",
]  # fmt: skip
ARGS = (Change, SentencePair, MIN_SENTENCE_MATCH, _MIN_CLAUSE_SIM, _MARKS)


def _rows_both(copy_text: str, source_text: str) -> None:
    """The C loop against the Python one given rapidfuzz's similarities, and the C
    similarities against rapidfuzz's (bit for bit: ties decide)."""
    codes = Codes()
    copy, source = Encoded(analyze(copy_text), codes), Encoded(analyze(source_text), codes)
    if not copy.sents or not source.sents:
        return
    sim = sentence_similarities(copy, source)
    assert _align.similarities(copy, source) == sim.tolist()
    assert _align.align_rows(copy, source, *ARGS) == _align_rows_py(copy, source, sim)
    _spans_both(copy, source)


def _spans_both(copy: Encoded, source: Encoded) -> None:
    """The substitutions of an alignment, C against Python, for every aligned sentence
    and for some: on ASCII texts the same; on others C leaves them to Python."""
    aln = align_encoded(copy, source)
    v = VerifiedSource("s", None, None, source.a, aln)
    firsts = {p.copy_sentence for p in aln.pairs[:1]}
    for sentences in (None, firsts, set()):
        got = _align.spans(aln.pairs, sentences, copy.a, source.a)
        if copy.a.text.isascii() and source.a.text.isascii():
            assert got == _substitution_spans_py(copy.a, v, sentences)
            assert substitution_spans(copy.a, v, sentences) == got
        else:
            assert got is None


def test_the_compiled_sentence_loop_is_in_use() -> None:
    codes = Codes()
    copy = Encoded(analyze("Thunder offensive, the harmony track stalled."), codes)
    source = Encoded(analyze("The harmony track stalled, lightning offensive."), codes)
    pairs, aligned, matched, reused = _align.align_rows(copy, source, *ARGS)
    assert (aligned, matched, reused) == (6, 5, 6)
    assert align_encoded(copy, source).pairs == tuple(pairs)
    assert type(pairs[0]) is SentencePair
    assert type(pairs[0].changes[0]) is Change


def test_example_texts_align_the_same() -> None:
    texts = _examples()
    for copy, source in zip(texts, texts[1:] + texts[:1], strict=True):
        _rows_both(copy, source)
        _rows_both(copy, copy)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(ALIGN_PIECES), max_size=160),
    st.lists(st.sampled_from(ALIGN_PIECES), max_size=160),
)
def test_random_texts_align_the_same(copy: list[str], source: list[str]) -> None:
    _rows_both("".join(copy), "".join(source))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(ALIGN_PIECES[:10]), min_size=60, max_size=400), st.data())
def test_long_sentences_align_the_same(words: list[str], data: st.DataObject) -> None:
    # One long sentence and an edited copy of it: rows of several 64-bit words, common
    # prefixes and suffixes.
    copy = list(words)
    for i in data.draw(st.lists(st.integers(0, len(copy) - 1), max_size=30)):
        copy[i] = data.draw(st.sampled_from(ALIGN_PIECES[:10]))
    _rows_both("".join(copy) + ".", "".join(words) + ".")


CLAUSE_WORDS = ["the", "a", "said", "talks", "peace", "track", "minister", "Ankara", "12"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(CLAUSE_WORDS), min_size=1, max_size=5), min_size=2, max_size=6
    ),
    st.data(),
)
def test_swapped_clauses_align_the_same(clauses: list[list[str]], data: st.DataObject) -> None:
    # Sentences of short clauses from few words (clause similarities tie), and a copy
    # with the clauses of each shuffled and some words replaced: the clause-by-clause
    # alignment runs, and its pairing order decides.
    copy = data.draw(st.permutations([list(c) for c in clauses]))
    for clause in copy:
        for i in data.draw(st.lists(st.integers(0, len(clause) - 1), max_size=2)):
            clause[i] = data.draw(st.sampled_from(CLAUSE_WORDS))
    source_text = ", ".join(" ".join(c) for c in clauses) + "."
    copy_text = ", ".join(" ".join(c) for c in copy) + "."
    _rows_both(copy_text + " " + source_text, source_text + " " + copy_text)


def test_align_rows_rejects_bad_arguments() -> None:
    e = Encoded(analyze("One sentence here."), Codes())
    with pytest.raises(TypeError, match="must be tuples"):
        _align.align_rows(e, e, dict, dict, 0.35, 0.3, ",")
    with pytest.raises(ValueError, match="at most 8"):
        _align.align_rows(e, e, Change, SentencePair, 0.35, 0.3, ",;:.!?-+=")
    with pytest.raises(AttributeError):
        _align.align_rows(object(), e, *ARGS)
    with pytest.raises(AttributeError):  # and nothing freed that was never loaded
        _align.similarities(object(), e)


def test_substitution_spans_in_c() -> None:
    codes = Codes()
    copy = Encoded(analyze("Thunder offensive, the harmony track stalled."), codes)
    source = Encoded(analyze("The harmony track stalled, lightning offensive."), codes)
    aln = align_encoded(copy, source)
    got = _align.spans(aln.pairs, None, copy.a, source.a)
    assert got is not None and (0, 7, "Thunder", "lightning") in got
    _spans_both(copy, source)
    with pytest.raises(TypeError, match="set or None"):
        _align.spans(aln.pairs, [0], copy.a, source.a)
    with pytest.raises(TypeError, match="SentencePair"):
        _align.spans(((0, 0),), None, copy.a, source.a)
    bad = (SentencePair(0, 0, 1.0, 1, (Change(0, 999, 0, 1),)),)
    with pytest.raises(IndexError, match="outside"):
        _align.spans(bad, None, copy.a, source.a)
    with pytest.raises(AttributeError):
        _align.spans(aln.pairs, None, object(), source.a)


def test_equal_sentences_go_to_the_nearest() -> None:
    # Three equal source sentences: the copy's third sentence goes to the third (all
    # tie; the nearest wins), which the C loop only finds if it looks past two ties.
    source = "Peace talks resumed in Ankara. " * 3
    copy = "Harmony track stalled at noon. Markets were calm today. Peace talks resumed in Ankara."
    _rows_both(copy, source)
    codes = Codes()
    a = align_encoded(Encoded(analyze(copy), codes), Encoded(analyze(source), codes))
    assert [(p.copy_sentence, p.source_sentence) for p in a.pairs] == [(2, 2)]


# -- sentences ----------------------------------------------------------------------------------

# Lines blingfire splits, lines it is not asked about (segment._whole), blank and
# whitespace-only lines, edge spaces, and characters whose UTF-8 is 2, 3 and 4 bytes long
# (the C loop maps blingfire's byte offsets back to characters).
SENTENCE_PIECES = [
    "The talks resumed.", "Officials said so", "U.S. officials met", "Why? Because", "Note: it",
    "one; two", "Mr. Smith left.", "Éloïse est partie.", "東京で会った。", "Ankara", " ", "  ",
    "\t", "\n", "\n\n", "\n \n", "\u00a0", "\u2029", "\x1c", "😀 ok.", "!", ".",
    '"Yes," she said. "No."', "3.5 pct", "(59,430)", "x",
]  # fmt: skip


def _sentences_both(text: str, defer: bool = False) -> None:
    """C equals Python; with ``defer``, C may also leave the text to Python (blingfire
    changed a sentence, as it does around NUL, and Python took its slow path)."""
    starts = tokenize(text)[2]
    got = _sentences.sentences(text, starts, _SPLITTER)
    if not (defer and got is None):
        assert got == _sentences_py(text, starts)


def test_the_compiled_sentence_splitter_is_in_use() -> None:
    a = analyze("Glued headline\nThe talks resumed. Officials said so.\n\n  \nDr. Öz met them.")
    got = _sentences.sentences(a.norm.text, a.spans.starts, _SPLITTER)
    assert got == (a.sentences, a.sentence_spans)
    with pytest.raises(TypeError, match="array"):
        _sentences.sentences(a.norm.text, list(a.spans.starts), _SPLITTER)
    with pytest.raises(TypeError, match="array"):
        _sentences.sentences(a.norm.text, array("i", a.spans.starts), _SPLITTER)
    assert [a.norm.text[s:e] for s, e in a.sentence_spans] == [
        "Glued headline",
        "The talks resumed.",
        "Officials said so.",
        "Dr. Öz met them.",
    ]


def test_example_texts_split_the_same() -> None:
    for text in _examples():
        _sentences_both(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(SENTENCE_PIECES), max_size=40), st.sampled_from(" \n"))
def test_random_texts_split_the_same(pieces: list[str], sep: str) -> None:
    _sentences_both(sep.join(pieces))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode_splits_the_same(text: str) -> None:
    _sentences_both(text, defer=True)


def test_sentences_rejects_bad_arguments_and_defers_what_it_cannot_encode() -> None:
    with pytest.raises(TypeError, match="array"):
        _sentences.sentences("text", (0,), _SPLITTER)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="array"):
        _sentences.sentences("A line. And more.", b"\0" * 8, _SPLITTER)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NULL"):
        _sentences.sentences("text", array("q", [0]), 0)
    # Half a surrogate pair cannot go to blingfire as UTF-8: the Python path decides.
    starts = array("q", [0, 3, 5, 9, 14])
    assert _sentences.sentences("One. Two \ud83d.", starts, _SPLITTER) is None


# -- stray lines --------------------------------------------------------------------------------

# Lines of every kind find_strays judges (debris, an article's own lines, lines that are
# nearly debris), in the shapes its tests look at: cases, closing quotes, separators,
# odd whitespace (\x1c is whitespace to str.strip), NUL (no stop, no separator), braces,
# digits, calls to action inside words.
STRAY_LINES = [
    "Share | Facebook | Twitter | Email", "share tweet email print", "Facebook Twitter",
    "Copy link: Tweet! Share.", "[ad_1]", "[ AD 12 ]", "[ad_ 5]", "Advertisement", "ad",
    "Sponsored content", "sponsored  content", "sponsored contents", "Home | News | Sport",
    "a | b", "one two three four five | b | c", "x | {y} | z", "Read more: the full story",
    "WATCH: a video", "More - other things.", "Updates > here", "Don't miss: this",
    "Click here to subscribe to our newsletter.", "cookies are used", "Cookie policy.",
    "download the app today", "Sign-up now", "All rights reserved.", "By Jane Smith",
    "BREAKING NEWS FROM NOWHERE", "Harbor Council Votes To Delay Ferry Terminal",
    "The council voted on Monday to delay the ferry terminal until May.",
    "Ferry workers said the delay would cost the harbor two months of fares.",
    'He said the delay was "regrettable."', "The vote (held late) passed 7-2.)]",
    "Revs 298.2 mln vs 321.3 mln", "A quiet line without a stop", "{spin|spun} words {a|b}",
    "x{a|b}y {a|b", "\x1c odd space line.\x1f", "  padded line  ", "\r", "ports report airport",
    "A line that ends in NUL\x00", "facebook\x00 twitter\x00 x y", "Watch\x00 this",
    # Non-ASCII: with ASCII stand-ins (currency, dashes, quotes) the C search runs on the
    # stand-in text; letters, odd spaces and bullets keep the text in Python.
    "Don\u2019t miss: this", "Don\u2019t miss\u2014 this", "Share \u00a3 | Facebook | Twitter",
    "Prices rose to \u00a35bn \u2014 a record.\u201d", "WATCH \u2014 a video",
    "\u201cA quoted headline here\u201d", "He said it was over.\u2019)",
    "Costs \u20ac5 \u00b1 2 \u00a9", "Home \u2022 News \u2022 Sport", "Caf\u00e9 owners said so.",
    "non\u00a0breaking line", "\u00a3 \u00a3 \u00a3",
]  # fmt: skip
STRAY_TITLES = [None, "", "Harbor Council Votes To Delay Ferry Terminal", "Some Other Story",
                "Fähre verspätet"]  # fmt: skip


def test_the_compiled_stray_search_is_in_use() -> None:
    assert clean._find_strays_c is _strays.find_strays
    text = "Share | Facebook | Twitter\n\nThe council met.\n\nClick here to sign up\n"
    assert [(x.text, x.reason) for x in clean.find_strays(text)] == [
        ("Share | Facebook | Twitter", "share-bar"),
        ("Click here to sign up", "promo"),
    ]


def test_compiled_strays_are_the_python_strays_on_the_example_texts() -> None:
    for text in _examples():
        if not text.isascii():
            continue
        lines = text.split("\n")
        for k, debris in enumerate(STRAY_LINES):
            at = k % (len(lines) + 1)
            mixed = "\n".join([*lines[:at], debris, *lines[at:]])
            for title in (None, lines[0], "Some Other Story"):
                assert clean.find_strays(mixed, title) == clean._find_strays_py(mixed, title)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(STRAY_LINES), st.sampled_from(["\n", "\n\n", "\n \n", " \n"])),
        max_size=12,
    ),
    st.sampled_from(STRAY_TITLES),
)
def test_random_documents_have_the_same_strays(
    lines: list[tuple[str, str]], title: str | None
) -> None:
    text = "".join(line + end for line, end in lines)
    assert clean.find_strays(text, title) == clean._find_strays_py(text, title)


def test_non_ascii_text_has_an_ascii_stand_in_only_for_symbols_quotes_and_dashes() -> None:
    text = "Prices rose to \u00a35bn \u2014 a \u201crecord\u201d.\nDon\u2019t miss"
    plain = clean._ascii_stand_in(text)
    assert plain == "Prices rose to $5bn $ a $record).\nDon)t miss"
    for other in ("Caf\u00e9", "a\u00a0b", "Home \u2022 News", "\u2160 (a numeral)"):
        assert clean._ascii_stand_in(other) is None, other


def test_find_strays_rejects_bad_arguments() -> None:
    words = (clean.FUNCTION_WORDS, ("share",), ("watch",), ("click here",), 0.1)
    with pytest.raises(ValueError, match="ASCII"):
        _strays.find_strays("caf\u00e9\nshare", None, None, *words)
    with pytest.raises(ValueError, match="non-empty ASCII"):
        _strays.find_strays("a\nb", None, None, clean.FUNCTION_WORDS, ("",), (), (), 0.1)
    with pytest.raises(TypeError):
        _strays.find_strays("a\nb", 3, None, *words)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _strays.find_strays("a\nb", None, ["x"], *words)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _strays.find_strays("a\nb", None, None, clean.FUNCTION_WORDS, ["share"], (), (), 0.1)  # type: ignore[arg-type]


# -- MinHash ------------------------------------------------------------------------------------


def test_the_compiled_minhash_is_in_use_and_agrees_on_the_example_texts() -> None:
    a, b, empty = minhash_permutations(FingerprintParams())
    parts = [skeleton_hashes(t, 3) for t in [*_examples(), "", "Two words."]]
    sigs = np.empty((len(parts), len(a)), dtype=np.uint32)
    _minhash.signatures(
        np.concatenate(parts), np.cumsum([len(p) for p in parts]), a, b, empty, sigs
    )
    assert np.array_equal(sigs, _signatures_py(parts, a, b, empty))
    assert np.array_equal(_signatures(parts, a, b, empty), sigs)
    assert (sigs[-2] == empty).all() and not (sigs[0] == empty).all()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 2**32 - 1), max_size=40), max_size=12),
    st.integers(1, 300),
    st.integers(0, 2**32 - 1),
)
def test_random_hashes_have_the_same_signatures(
    parts: list[list[int]], slots: int, seed: int
) -> None:
    # Slot counts that are not a multiple of any vector width, hashes at the extremes.
    rng = np.random.default_rng(seed)
    a, b, empty = (rng.integers(0, 2**32, slots, dtype=np.uint32) for _ in range(3))
    arrays = [np.array(p, dtype=np.uint32) for p in parts]
    assert np.array_equal(_signatures(arrays, a, b, empty), _signatures_py(arrays, a, b, empty))


def test_minhash_rejects_bad_arguments() -> None:
    a = b = empty = np.ones(4, dtype=np.uint32)
    hv = np.arange(5, dtype=np.uint32)
    out = np.empty((2, 4), dtype=np.uint32)
    with pytest.raises(ValueError, match="rise"):
        _minhash.signatures(hv, np.array([3, 2], dtype=np.int64), a, b, empty, out)
    with pytest.raises(ValueError, match="rise"):
        _minhash.signatures(hv, np.array([3, 6], dtype=np.int64), a, b, empty, out)
    with pytest.raises(ValueError, match="row per document"):
        _minhash.signatures(hv, np.array([5], dtype=np.int64), a, b, empty, out)
    with pytest.raises(ValueError, match="one item per slot"):
        _minhash.signatures(hv, np.array([2, 5], dtype=np.int64), a, b[:3], empty, out)
    with pytest.raises(TypeError, match="8-byte"):
        _minhash.signatures(hv, np.array([2, 5], dtype=np.int32), a, b, empty, out)
    with pytest.raises(BufferError):  # read-only output
        _minhash.signatures(hv, np.array([2, 5], dtype=np.int64), a, b, empty, bytes(32))


@pytest.mark.parametrize(
    ("rows", "bands"), [(1, 5), (2, 3), (3, 42), (4, 7), (8, 4), (9, 3), (16, 8)]
)
def test_band_keys_are_the_xxhash_packages(rows: int, bands: int) -> None:
    # Band widths of 4 to 64 bytes: XXH64's short input, its 32-byte stripes, and the
    # 8- and 4-byte tails.
    params = FingerprintParams(num_perm=128, bands=bands, rows=rows)
    rng = np.random.default_rng(rows * 100 + bands)
    sigs = rng.integers(0, 2**32, size=(40, 128), dtype=np.uint64).astype(np.uint32)
    assert (band_keys_of(sigs, params) == _band_keys_py(sigs, params)).all()
    assert band_keys_of(sigs, params).dtype == np.int64


def test_band_keys_rejects_bad_arguments() -> None:
    sigs = np.zeros((2, 8), dtype=np.uint32)
    with pytest.raises(ValueError, match="bands x rows"):
        _minhash.band_keys(sigs, 3, 3, np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="bands x rows"):
        _minhash.band_keys(sigs, 2, 4, np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(TypeError, match="4-byte"):
        _minhash.band_keys(sigs.astype(np.int64), 2, 4, np.zeros((2, 2), dtype=np.int64))
