"""Sentences and tokens with offsets, on normalised text.

Everything downstream (fingerprints, alignment, substitutions) works on one
:class:`Analysis` of a text so that the work of splitting is done once per document.
"""

from __future__ import annotations

import ctypes
import re
import threading
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import accumulate
from operator import itemgetter
from typing import overload

import blingfire

from unspin.function_words import FUNCTION_WORDS
from unspin.native import compiled
from unspin.normalize import Normalized, normalize

# A token is a word or number, possibly joined by internal hyphens, apostrophes or periods
# ("don't", "U.S", "1.13bn", "high-speed"), or one other non-space character. Splitting
# on tokens gives the whitespace before each token and the tokens themselves in one flat
# list (several times faster than finditer: no match objects); offsets follow from the
# lengths.
_TOKEN = re.compile(r"(\d+(?:[.,:]\d+)*\w*|\w+(?:[-'.]\w+)*|\S)")
_LINE = re.compile(r"[^\n]+")

WORD, NUMBER, PUNCT = "w", "n", "p"
# Kind of an ASCII token from its first character (see analyze).
_KIND_OF = {
    c: WORD if chr(c).isalpha() else NUMBER if chr(c).isdigit() else PUNCT for c in range(128)
}


@dataclass(frozen=True, slots=True)
class Spans(Sequence[tuple[int, int]]):
    """The tokens' ``(start, end)`` offsets, kept as two arrays of ints: a pair of ints
    and a tuple per token, made and freed again, were half of the cost of tokenizing a
    text and of letting its analysis go. Hot loops read ``starts`` and ``ends``."""

    starts: array[int]
    ends: array[int]

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, k: int) -> tuple[int, int]: ...

    @overload
    def __getitem__(self, k: slice) -> list[tuple[int, int]]: ...

    def __getitem__(self, k: int | slice) -> tuple[int, int] | list[tuple[int, int]]:
        if isinstance(k, slice):
            return list(zip(self.starts[k], self.ends[k], strict=True))
        return self.starts[k], self.ends[k]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.starts, self.ends, strict=True)


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
    spans: Spans
    kinds: str
    capitalised: list[bool]
    sentences: list[tuple[int, int]]
    sentence_spans: list[tuple[int, int]]

    def without(self, spans: list[tuple[int, int]]) -> Analysis:
        """This analysis with the sentences mostly covered by ``spans`` (input offsets)
        left out: their tokens stay, but no stage that walks sentences sees them."""
        if not spans:
            return self
        keep_s: list[tuple[int, int]] = []
        keep_c: list[tuple[int, int]] = []
        for (i, j), cspan in zip(self.sentences, self.sentence_spans, strict=True):
            a, b = self.norm.span_to_input(*cspan)
            covered = 0
            for s, e in spans:
                if e > a and s < b:
                    covered += min(b, e) - max(a, s)
            if covered * 2 < b - a:
                keep_s.append((i, j))
                keep_c.append(cspan)
        return replace(self, sentences=keep_s, sentence_spans=keep_c)

    def input_span(self, i: int, j: int) -> tuple[int, int]:
        """Input character span of tokens ``[i, j)``."""
        return self.norm.span_to_input(self.spans.starts[i], self.spans.ends[j - 1])

    def token_text(self, i: int, j: int) -> str:
        """The normalised text of tokens ``[i, j)``."""
        return self.norm.text[self.spans.starts[i] : self.spans.ends[j - 1]]

    @property
    def n_words(self) -> int:
        """Words and numbers inside the sentences."""
        return sum((j - i) - self.kinds.count(PUNCT, i, j) for i, j in self.sentences)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of sentences. Lines are hard boundaries: scraped pages glue
    headlines and captions on their own lines without a full stop."""
    # blingfire joins lines that lack a final stop, hence one call per line.
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        chunk = line.group()
        if not chunk.strip():
            continue
        base = line.start()
        if _whole(chunk):
            spans.append((base, base + len(chunk)))
        else:
            spans.extend((base + a, base + b) for a, b in _line_sentences(chunk))
    return spans


# What blingfire could end a sentence at, inside a line.
_INNER_STOP = re.compile(r"[.!?;:]")


def _whole(line: str) -> bool:
    """Whether blingfire would return ``line`` as one sentence without asking it: printable
    ASCII, no space at either end, nothing it ends a sentence at before the last
    character. Half the lines of news text are such (headlines, one-sentence paragraphs,
    datelines); blingfire returned every one of the 214,453 such lines and fragments of
    lines of the news data whole, and a test holds the two together."""
    return (
        line.isascii()
        and line.isprintable()
        and line[0] != " "
        and line[-1] != " "
        and _INNER_STOP.search(line, 0, len(line) - 1) is None
    )


def _line_sentences(chunk: str) -> list[tuple[int, int]]:
    """Spans of the sentences blingfire finds in one line."""
    # blingfire's own offset variant converts byte offsets in a Python loop; the plain
    # variant is ~20x faster and keeps each sentence verbatim, so we find them in order.
    pos = 0
    found: list[tuple[int, int]] = []
    for sent in _text_to_sentences(chunk).split("\n"):
        if not sent:
            continue
        start = chunk.find(sent, pos)
        if start < 0:
            return _split_sentences_slow(chunk)
        pos = start + len(sent)
        found.append((start, pos))
    return found


_BLINGFIRE = blingfire.blingfire  # the library behind blingfire.text_to_sentences
_BUFFERS = threading.local()  # one output buffer per thread (ctypes releases the GIL)


def _text_to_sentences(text: str) -> str:
    """``blingfire.text_to_sentences`` with an output buffer reused across calls (its own
    allocates a zeroed one per call, a third of the time on short lines)."""
    data = text.encode("utf-8")
    size = len(data) * 2
    buf = getattr(_BUFFERS, "buf", None)
    if buf is None or len(buf) < size:
        buf = ctypes.create_string_buffer(max(size, 1 << 14))
        _BUFFERS.buf = buf
    n = _BLINGFIRE.TextToSentences(
        ctypes.c_char_p(data), ctypes.c_int(len(data)), ctypes.byref(buf), ctypes.c_int(size)
    )
    if n == -1 or n > size:
        return ""
    out = ctypes.string_at(buf, n)  # NUL-terminated, like the fresh buffer's .value
    end = out.find(b"\0")
    return (out if end < 0 else out[:end]).decode("utf-8")


def _split_sentences_slow(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        chunk = line.group()
        if not chunk.strip():
            continue
        _, offsets = blingfire.text_to_sentences_and_offsets(chunk)
        base = line.start()
        spans.extend((base + a, base + b) for a, b in offsets if b > a)
    return spans


def _tokenize_py(text: str) -> Tokens:
    """Tokens of normalised ``text``: (tokens lowercased, start offsets, end offsets,
    kinds, capitalised). The reference for ``unspin._tokenize.tokenize``."""
    # [whitespace, token, whitespace, token, ..., whitespace]: every character outside a
    # token is whitespace.
    pieces: list[str] = _TOKEN.split(text)
    raw = pieces[1::2]
    # Offsets from the lengths of the pieces, without a Python loop.
    offsets = array("q", accumulate(map(len, pieces)))
    starts = offsets[0:-1:2]
    firsts = "".join(map(itemgetter(0), raw))  # first character of each token
    if firsts.isascii():
        kinds = firsts.translate(_KIND_OF)
    else:
        kinds = "".join([WORD if c.isalpha() else NUMBER if c.isdigit() else PUNCT for c in firsts])
    if "\0" in text or not raw:
        tokens = [t.lower() for t in raw]
    else:  # one lower() call: NUL is neither cased nor case-ignorable, so same result
        tokens = "\0".join(raw).lower().split("\0")
    return tokens, starts, offsets[1::2], kinds, list(map(str.isupper, firsts))


Tokens = tuple[list[str], "array[int]", "array[int]", str, list[bool]]


# The C tokenizer when it was built (the same tokens, ~3x faster), else the regex.
tokenize: Callable[[str], Tokens] = compiled("_tokenize", "tokenize") or _tokenize_py


def analyze(text: str) -> Analysis:
    """Normalise, split into sentences and tokenise ``text``."""
    norm = normalize(text)
    ntext = norm.text
    tokens, starts, ends, kinds, capitalised = tokenize(ntext)
    sentences, sentence_spans = _sentences(ntext, starts)
    return Analysis(
        text=text,
        norm=norm,
        tokens=tokens,
        spans=Spans(starts, ends),
        kinds=kinds,
        capitalised=capitalised,
        sentences=sentences,
        sentence_spans=sentence_spans,
    )


Sentences = tuple[list[tuple[int, int]], list[tuple[int, int]]]


def _sentences_py(text: str, starts: Sequence[int]) -> Sentences:
    """The sentences of normalised ``text`` that hold a token, as token ranges and as
    character spans, given the tokens' start offsets. The reference for
    ``unspin._sentences.sentences``."""
    sentences: list[tuple[int, int]] = []
    sentence_spans: list[tuple[int, int]] = []
    for s_start, s_end in split_sentences(text):
        i, j = bisect_left(starts, s_start), bisect_left(starts, s_end)
        if j > i:
            sentences.append((i, j))
            sentence_spans.append((s_start, s_end))
    return sentences, sentence_spans


# The C loop when it was built: the same lines and calls to blingfire (its model, called
# through the address of the function the blingfire package loaded), ~2x faster.
_sentences_c = compiled("_sentences", "sentences")
_SPLITTER = ctypes.cast(_BLINGFIRE.TextToSentences, ctypes.c_void_p).value


def _sentences(text: str, starts: array[int]) -> Sentences:
    if _sentences_c is not None:
        got: Sentences | None = _sentences_c(text, starts, _SPLITTER)
        if got is not None:
            return got
    return _sentences_py(text, starts)


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
