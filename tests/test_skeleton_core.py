"""The C skeleton (``unspin._skeleton``) against the Python reference
(:func:`unspin.fingerprint.skeleton_shingles` hashed with the xxhash package)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from unspin import _skeleton  # built by `pip install -e .` (make install)
from unspin.fingerprint import _skeleton_hashes_py, skeleton_hashes
from unspin.function_words import FUNCTION_WORDS

EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "unspin" / "examples"

# Pieces that exercise every rule: function words in three casings, names at and inside
# sentence starts, numbers, stops with and without a following space, line breaks, and
# Unicode whose classes differ (title case, superscript digits, Arabic-Indic digits,
# letters without case, a capital whose lower case is two characters, Greek final sigma,
# separators that str.isspace() counts).
PIECES = [
    "the",
    "The",
    "THE",
    "of",
    "And",
    "and",
    "Paris",
    "Paris",
    "Kyiv",
    "Ankara",
    "reported",
    "said",
    "42",
    "3.5",
    "2024",
    "_",
    "x_y",
    "ǅemal",
    "Ǆ",
    "²",
    "٣٤",
    "Ⅻ",
    "東京",
    "İstanbul",
    "ΣΟΦΙΑ",
    "Straße",
    "Éloïse",
    "émigré",
    "über",
    "Über",
    ".",
    "!",
    "?",
    ",",
    "-",
    "'",
    " ",
    " ",
    " ",
    "\n",
    "\t",
    "\u2029",
    "\x1c",
    "\u00a0",
    "\u3000",
    "..",
    ". ",
    "!\n",
    "?\t",
]


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


def test_example_texts_hash_the_same() -> None:
    texts = [p.read_text() for p in EXAMPLES.glob("*.txt")]
    texts += [json.loads(line)["text"] for line in (EXAMPLES / "originals.jsonl").open()]
    assert texts
    for text in texts:
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
