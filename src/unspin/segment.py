"""Sentences and tokens with offsets, on normalised text.

Everything downstream (fingerprints, alignment, substitutions) works on one
:class:`Analysis` of a text so that the work of splitting is done once per document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import blingfire

from unspin.function_words import FUNCTION_WORDS
from unspin.normalize import Normalized, normalize

# A word: letters/digits joined by internal apostrophes, periods, hyphens or commas between
# digits ("don't", "U.S", "high-speed", "1,130.5"); currency and percent kept with numbers.
_TOKEN = re.compile(
    r"[$£€]?\d+(?:[.,:]\d+)*(?:%|[^\W\d_]+)?"  # numbers: $1.13bn, 76%, 10:30, 2,000
    r"|[^\W\d_]+(?:['.\-][^\W_]+)*"  # words, possibly joined
    r"|[^\w\s]",  # one punctuation mark
)
_LINE = re.compile(r"[^\n]+")

WORD, NUMBER, PUNCT = "w", "n", "p"


@dataclass(frozen=True)
class Analysis:
    """A text split into sentences and tokens.

    ``tokens`` holds lowercase normalised forms; ``spans`` their offsets in ``norm.text``;
    ``kinds`` one letter per token (w: word, n: number, p: punctuation); ``sentences``
    half-open token index ranges; ``sentence_spans`` their character spans.
    """

    text: str
    norm: Normalized
    tokens: list[str]
    spans: list[tuple[int, int]]
    kinds: str
    capitalised: list[bool]
    sentences: list[tuple[int, int]]
    sentence_spans: list[tuple[int, int]]

    def input_span(self, i: int, j: int) -> tuple[int, int]:
        """Input character span of tokens ``[i, j)``."""
        return self.norm.span_to_input(self.spans[i][0], self.spans[j - 1][1])

    @property
    def n_words(self) -> int:
        return len(self.kinds) - self.kinds.count(PUNCT)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of sentences. Lines are hard boundaries: scraped pages glue
    headlines and captions on their own lines without a full stop."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        chunk = line.group()
        if not chunk.strip():
            continue
        _, offsets = blingfire.text_to_sentences_and_offsets(chunk)
        base = line.start()
        spans.extend((base + a, base + b) for a, b in offsets if b > a)
    return spans


def analyze(text: str) -> Analysis:
    """Normalise, split into sentences and tokenise ``text``."""
    norm = normalize(text)
    ntext = norm.text
    tokens: list[str] = []
    spans: list[tuple[int, int]] = []
    kinds: list[str] = []
    caps: list[bool] = []
    sentences: list[tuple[int, int]] = []
    sentence_spans: list[tuple[int, int]] = []
    for s_start, s_end in split_sentences(ntext):
        first = len(tokens)
        for m in _TOKEN.finditer(ntext, s_start, s_end):
            tok = m.group()
            c0 = tok[0]
            if c0.isalpha():
                kinds.append(WORD)
            elif c0.isdigit() or c0 in "$£€":
                kinds.append(NUMBER)
            else:
                kinds.append(PUNCT)
            caps.append(c0.isupper())
            tokens.append(tok.lower())
            spans.append(m.span())
        if len(tokens) > first:
            sentences.append((first, len(tokens)))
            sentence_spans.append((s_start, s_end))
    return Analysis(
        text=text,
        norm=norm,
        tokens=tokens,
        spans=spans,
        kinds="".join(kinds),
        capitalised=caps,
        sentences=sentences,
        sentence_spans=sentence_spans,
    )


def immutable_mask(a: Analysis) -> list[bool]:
    """Which tokens a synonym spinner is unlikely to touch.

    Function words, numbers, and names: capitalised words inside a sentence, or at its
    start when the same word appears capitalised mid-sentence elsewhere in the text.
    Punctuation is excluded: it carries no identity.
    """
    mid_caps: set[str] = set()
    starts = {s for s, _ in a.sentences}
    for i, tok in enumerate(a.tokens):
        if a.capitalised[i] and i not in starts and a.kinds[i] == WORD:
            mid_caps.add(tok)
    mask: list[bool] = []
    for i, tok in enumerate(a.tokens):
        kind = a.kinds[i]
        if kind == PUNCT:
            mask.append(False)
        elif kind == NUMBER or tok in FUNCTION_WORDS:
            mask.append(True)
        elif a.capitalised[i]:
            mask.append(i not in starts or tok in mid_caps)
        else:
            mask.append(False)
    return mask
