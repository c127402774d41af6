import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unspin.normalize import normalize
from unspin.segment import _line_sentences, _whole, analyze, immutable_mask, split_sentences


def test_ascii_is_untouched_and_maps_identically() -> None:
    n = normalize("Plain text.")
    assert n.text == "Plain text."
    assert n.span_to_input(0, 5) == (0, 5)
    assert n.evasions == {}


def test_typography_is_folded() -> None:
    n = normalize("\u201cPeace\u201d \u2013 it\u2019s here")
    assert n.text == '"Peace" \u2014 it\'s here'


def test_homoglyphs_and_zero_width_are_folded_and_counted() -> None:
    # Cyrillic "е" and "о" inside Latin words, and a zero-width space inside a word.
    text = "The p\u0435ace talks resumed in Lond\u043en to\u200bday."
    n = normalize(text)
    assert n.text == "The peace talks resumed in London today."
    assert n.evasions == {"homoglyphs": 2, "zero_width": 1}
    # Offsets map back to the input: "today" spans the zero-width character.
    s = n.text.index("today")
    a, b = n.span_to_input(s, s + len("today"))
    assert text[a:b] == "to\u200bday"
    s = n.text.index("London")
    a, b = n.span_to_input(s, s + len("London"))
    assert text[a:b] == "Lond\u043en"


def test_real_cyrillic_words_are_left_alone() -> None:
    n = normalize("Москва сегодня")
    assert n.text == "Москва сегодня"
    assert n.evasions == {}


def test_expanding_characters_map_back_to_their_source() -> None:
    text = "a\u2026b ﬁnal"  # ellipsis and the fi ligature expand under NFKC
    n = normalize(text)
    assert n.text == "a...b final"
    s = n.text.index("final")
    a, b = n.span_to_input(s, s + 5)
    assert text[a:b] == "ﬁnal"


def test_lines_are_sentence_boundaries() -> None:
    text = "Glued headline of another story\nThe real article starts here. It goes on."
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == [
        "Glued headline of another story",
        "The real article starts here.",
        "It goes on.",
    ]


LINE_PIECES = [
    "The", "minister", "said", "Kyiv", "U", "S", "1,200", "3", "(59,430)", "-", "--", "'s",
    '"', "'", ",", "&", "%", "$", "/", "#", "+", "x", "Talks", "resumed", "e", "g",
    " ", " ", " ", "  ", "said. Then", "U.S. officials", "Why? Because", "Note: it", "one; two",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINE_PIECES), min_size=1, max_size=40), st.sampled_from("x.!?:;,)"))
def test_lines_blingfire_would_not_split_are_not_sent_to_it(pieces: list[str], end: str) -> None:
    # split_sentences answers for some lines without blingfire (segment._whole): whatever
    # such a line is, blingfire must return it whole.
    line = "".join(pieces).strip() + end
    if _whole(line):
        assert _line_sentences(line) == [(0, len(line))]
        assert split_sentences(f"{line}\n{line}") == [
            (0, len(line)),
            (len(line) + 1, 2 * len(line) + 1),
        ]


def test_immutables_are_names_numbers_and_function_words() -> None:
    a = analyze("Officials in Orska said 1,200 people fled. Orska is calm.")
    mask = immutable_mask(a)
    kept = [t for t, m in zip(a.tokens, mask, strict=True) if m]
    assert kept == ["in", "orska", "1,200", "orska", "is"]


def test_fullwidth_letters_and_bidi_controls_are_folded_and_counted() -> None:
    text = "The \uff50\uff45\uff41\uff43\uff45 talks\u202e resumed."
    n = normalize(text)
    assert n.text == "The peace talks resumed."
    assert n.evasions == {"compat_letters": 5, "bidi_controls": 1}
    s = n.text.index("peace")
    a, b = n.span_to_input(s, s + 5)
    assert text[a:b] == "\uff50\uff45\uff41\uff43\uff45"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "U.S. high-speed rail, 1.13bn don't!  \n\tEnds here.  \n",
        "\u201cQuote\u201d \u2014 x",
    ],
)
def test_token_spans_point_at_the_tokens(text: str) -> None:
    a = analyze(text)
    assert [a.norm.text[s:e].lower() for s, e in a.spans] == a.tokens
    assert "".join(a.tokens) == "".join(a.norm.text.lower().split())
    # The offsets as pairs, one by one and sliced, and as they survive a pickle.
    assert len(a.spans) == len(a.tokens)
    assert a.spans[1:3] == list(a.spans)[1:3]
    assert [a.spans[k] for k in range(len(a.spans))] == list(a.spans)
    assert pickle.loads(pickle.dumps(a.spans)) == a.spans
