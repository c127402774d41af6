from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unspin import Archive, Document, trace
from unspin.clean import _ASCII_WORD, _LINE, _word_outside, find_strays
from unspin.language import detect_language

from .conftest import example_originals

ARTICLE = (
    "Harbour officials in Kestrel Bay said on Monday that the new ferry terminal will open "
    "in May, two months later than planned.\n\n"
    "The terminal, which cost 41 million crowns, will handle up to 12 ferries a day once "
    "the harbour dredging is finished.\n\n"
    "Port director Anneli Varga said the delay was caused by storm damage to the harbour "
    "wall in January.\n\n"
    "Ferry operators have asked the harbour authority to keep the old terminal open until "
    "the new one is ready."
)
TITLE = "Kestrel Bay ferry terminal opening delayed to May"


def _insert(text: str, para: int, line: str) -> str:
    paras = text.split("\n\n")
    return "\n\n".join([*paras[:para], line, *paras[para:]])


@pytest.mark.parametrize(
    ("text", "stray", "reason"),
    [
        (
            "Pop star cancels summer tour\n" + ARTICLE,
            "Pop star cancels summer tour",
            "glued-headline",
        ),
        (
            _insert(ARTICLE, 2, "WATCH: Seal pup rescued from fishing net"),
            "WATCH: Seal pup rescued from fishing net",
            "promo",
        ),
        (
            _insert(ARTICLE, 1, "Retirees are rushing to claim this little-known benefit"),
            "Retirees are rushing to claim this little-known benefit",
            "promo",
        ),
        (_insert(ARTICLE, 3, "[ad_1]"), "[ad_1]", "ad-marker"),
        (
            _insert(ARTICLE, 2, "Facebook Twitter WhatsApp Email"),
            "Facebook Twitter WhatsApp Email",
            "share-bar",
        ),
        (
            "Home | News | Sport | Weather\n" + ARTICLE,
            "Home | News | Sport | Weather",
            "navigation",
        ),
        (_insert(ARTICLE, 2, TITLE), TITLE, "repeated-headline"),
        (
            ARTICLE.replace("will open", "{will open|is set to open|opens}"),
            "{will open|is set to open|opens}",
            "spintax",
        ),
    ],
)
def test_debris_is_found_with_offsets(text: str, stray: str, reason: str) -> None:
    found = find_strays(text, title=TITLE)
    assert [(x.text, x.reason) for x in found] == [(stray, reason)]
    assert text[found[0].start : found[0].end] == stray


def test_clean_articles_have_no_strays() -> None:
    assert find_strays(ARTICLE, title=TITLE) == []
    for doc in example_originals():
        assert find_strays(doc.text, title=doc.title) == [], doc.id


def test_stray_lines_are_kept_out_of_tracing(archive: Archive) -> None:
    original = example_originals()[0]
    promo = "Seniors can now get free hearing aids in most states"
    text = _insert(original.text, 1, promo)
    r = trace(Document(id="x", text=text, title=original.title), archive)
    assert r.verdict == "copy" and r.sources[0].id == original.id
    assert [x.text for x in r.stray] == [promo]
    assert r.sources[0].coverage == 1.0  # the promo does not dilute coverage
    assert promo not in r.restored
    assert r.restored == original.text


def test_language_detection() -> None:
    assert detect_language(ARTICLE) == "en"
    assert (
        detect_language(
            "Le conseil municipal s'est réuni mardi pour discuter du budget "
            "de l'année prochaine et des travaux du port."
        )
        == "fr"
    )
    assert detect_language("Shr 53 cts vs 41 cts") == "en"  # too short to call


def test_non_english_text_is_reported_and_skipped(archive: Archive) -> None:
    text = (
        "Der Stadtrat von Kestrel Bay hat am Montag beschlossen, dass das neue "
        "Fährterminal erst im Mai eröffnet wird, zwei Monate später als geplant."
    )
    r = trace(text, archive)
    assert r.verdict == "not-english" and r.language == "de"
    assert r.sources == [] and r.substitutions == []


def test_ascii_text_and_other_text_find_the_same_strays() -> None:
    # ASCII text takes the compiled tests (unspin._strays), the same text with one
    # non-ASCII letter on a line no test flags takes the Python tests.
    lines = [
        "Share | Facebook | Twitter | Email",
        "Click here to subscribe to our weekly newsletter",
        "please subscribe   ",
        "The company said its shares rose after the email was printed.",
        TITLE,
        "Copy link Tweet Share",
    ]
    text = _insert(ARTICLE, 1, "\n\n".join(lines))
    found = [(x.text, x.reason) for x in find_strays(text, title=TITLE)]
    assert found == [
        ("Share | Facebook | Twitter | Email", "share-bar"),
        ("Click here to subscribe to our weekly newsletter", "promo"),
        (TITLE, "repeated-headline"),
        ("Copy link Tweet Share", "share-bar"),
    ]
    accented = text.replace("storm damage", "storm d\u00e9mage")
    assert [(x.text, x.reason) for x in find_strays(accented, title=TITLE)] == found


# Words that contain one another ("port" in "report", "airport"), short ones the word
# pattern skips, and separators, so that substring hits are often not words.
WORD_PIECES = ["port", "report", "airport", "ports", "the", "an", "rep", "Port", "PORT", "x"]
SEPARATORS = [" ", "-", "'", "\n", "\n\n", ". ", "1", "_"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORD_PIECES + SEPARATORS), min_size=1, max_size=60))
def test_a_word_outside_a_line_is_found_as_the_word_pattern_finds_it(pieces: list[str]) -> None:
    text = "".join(pieces)
    low = text.lower()
    lines = [(m.start(), m.end()) for m in _LINE.finditer(text)]
    for s, e in lines:
        others = {
            w for s2, e2 in lines if (s2, e2) != (s, e) for w in _ASCII_WORD.findall(low[s2:e2])
        }
        for w in set(_ASCII_WORD.findall(low[s:e])) | {"port", "report"}:
            assert _word_outside(low, w, s, e) == (w in others), (text, w, s, e)
