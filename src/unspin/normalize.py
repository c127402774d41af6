"""Text normalisation that remembers where every character came from.

Spinners and scrapers leave typographic noise (curly quotes, odd dashes, NFKC-foldable
forms) and evasion tricks (Cyrillic or Greek look-alike letters, zero-width characters)
that would break token matching. We fold them, but every offset we report must point into
the text the user gave us, so normalisation keeps a piecewise map back to the input.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field

# Look-alike letters that spinners and spammers use to dodge exact matching. Only letters
# that render (near-)identically to a Latin letter are folded; the rest of a Cyrillic or
# Greek text is left alone, so real non-Latin text is not mangled.
_HOMOGLYPHS = {
    # Cyrillic
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "Х": "X",
    "У": "Y",
    "Ѕ": "S",
    "І": "I",
    "Ј": "J",
    "а": "a",
    "е": "e",
    "о": "o",
    "р": "p",
    "с": "c",
    "х": "x",
    "у": "y",
    "ѕ": "s",
    "і": "i",
    "ј": "j",
    "һ": "h",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    # Greek
    "Α": "A",
    "Β": "B",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "H",
    "Ι": "I",
    "Κ": "K",
    "Μ": "M",
    "Ν": "N",
    "Ο": "O",
    "Ρ": "P",
    "Τ": "T",
    "Υ": "Y",
    "Χ": "X",
    "ο": "o",
    "ν": "v",
    "ρ": "p",
    "ι": "i",
    # Latin small capitals and other spoof letters
    "ᴀ": "a",
    "ʙ": "b",
    "ᴄ": "c",
    "ᴅ": "d",
    "ᴇ": "e",
    "ɢ": "g",
    "ʜ": "h",
    "ɪ": "i",
    "ᴊ": "j",
    "ᴋ": "k",
    "ʟ": "l",
    "ᴍ": "m",
    "ɴ": "n",
    "ᴏ": "o",
    "ᴘ": "p",
    "ʀ": "r",
    "ᴛ": "t",
    "ᴜ": "u",
    "ᴠ": "v",
    "ᴡ": "w",
    "ʏ": "y",
    "ᴢ": "z",
}
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"}
# Direction overrides and isolates: invisible, and used to scramble how text matches.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}
_PUNCT = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    # Hyphens fold to "-" (they join words); dashes fold to one em dash (they separate).
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2212": "-",
    "\u2013": "\u2014",
    "\u2015": "\u2014",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
}
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_LATIN_NEIGHBOUR = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Normalized:
    """Normalised text plus a map from its offsets back to the input's offsets."""

    text: str
    source_length: int
    # Breakpoints (normalised offset, input offset): between two breakpoints offsets move
    # together one for one.
    _norm_points: list[int] = field(default_factory=list, repr=False)
    _orig_points: list[int] = field(default_factory=list, repr=False)
    homoglyphs: int = 0
    zero_width: int = 0
    bidi_controls: int = 0
    compat_letters: int = 0

    def to_input(self, pos: int) -> int:
        """Input offset of the normalised character at ``pos`` (a start offset)."""
        if not self._norm_points:
            return pos
        i = bisect_right(self._norm_points, pos) - 1
        if i < 0:
            return pos
        return min(self._orig_points[i] + (pos - self._norm_points[i]), self.source_length)

    def span_to_input(self, start: int, end: int) -> tuple[int, int]:
        """Input span covering the normalised span ``[start, end)``."""
        if not self._norm_points:  # normalisation moved nothing (ASCII text, say)
            return (start, end) if end > start else (start, start)
        if end <= start:
            s = self.to_input(start)
            return s, s
        return self.to_input(start), self.to_input(end - 1) + 1

    @property
    def evasions(self) -> dict[str, int]:
        """Counts of evasion tricks that were folded away (only the non-zero ones)."""
        found = {
            "homoglyphs": self.homoglyphs,
            "zero_width": self.zero_width,
            "bidi_controls": self.bidi_controls,
            "compat_letters": self.compat_letters,
        }
        return {k: v for k, v in found.items() if v}


def _fold_char(ch: str, prev: str, nxt: str) -> tuple[str, str | None]:
    """Fold one character; returns (replacement, kind of evasion or None)."""
    if ch in _ZERO_WIDTH:
        return "", "zero_width"
    if ch in _BIDI:
        return "", "bidi_controls"
    if ch in _PUNCT:
        return _PUNCT[ch], None
    if ch in _HOMOGLYPHS and (_LATIN_NEIGHBOUR.match(prev) or _LATIN_NEIGHBOUR.match(nxt)):
        # A look-alike glued to Latin letters is an evasion; inside a Cyrillic or Greek
        # word it is just a letter of that script.
        return _HOMOGLYPHS[ch], "homoglyphs"
    folded = unicodedata.normalize("NFKC", ch)
    if folded != ch and ch.isalpha() and folded.isascii():
        # Fullwidth or mathematical letters ("Ｐｅａｃｅ", "𝐏𝐞𝐚𝐜𝐞") that render like plain ones.
        return folded, "compat_letters"
    return folded, None


def normalize(text: str) -> Normalized:
    """Fold typography and evasion tricks; keep a map back to input offsets.

    ASCII text is returned unchanged without building a map, which keeps the common case
    fast for large archives.
    """
    if text.isascii():
        return Normalized(text=text, source_length=len(text))
    out: list[str] = []
    norm_points: list[int] = [0]
    orig_points: list[int] = [0]
    counts = {"homoglyphs": 0, "zero_width": 0, "bidi_controls": 0, "compat_letters": 0}
    n_out = 0
    last = 0
    for m in _NON_ASCII.finditer(text):
        if m.start() > last:
            out.append(text[last : m.start()])
            n_out += m.start() - last
        run = m.group()
        for k, ch in enumerate(run):
            i = m.start() + k
            prev = text[i - 1] if i > 0 else ""
            nxt = text[i + 1] if i + 1 < len(text) else ""
            rep, kind = _fold_char(ch, prev, nxt)
            if kind:
                counts[kind] += 1
            if rep == ch:
                out.append(ch)
                n_out += 1
                continue
            # Each output character of a replacement maps to the input character it came
            # from; the character after it maps one past.
            for j, r in enumerate(rep):
                out.append(r)
                norm_points.append(n_out + j)
                orig_points.append(i)
            n_out += len(rep)
            norm_points.append(n_out)
            orig_points.append(i + 1)
        last = m.end()
    if last < len(text):
        out.append(text[last:])
    return Normalized(
        text="".join(out),
        source_length=len(text),
        _norm_points=norm_points,
        _orig_points=orig_points,
        **counts,
    )
