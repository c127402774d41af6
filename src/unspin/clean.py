"""Find scraper debris: lines that do not belong to the article.

Content-farm pages carry an unrelated headline glued on top, promos ("WATCH: ...", a
clickbait line dropped between paragraphs), navigation and share bars, ad markers such as
"[ad_1]", the page's own headline repeated mid-body, and leftover spintax braces. Each is
reported as a :class:`Stray` with offsets into the input text, and kept out of tracing
and detection.

The tests are per line, because scrapers glue debris in as whole lines. A line is judged
on its shape (length, final punctuation, title case) and on how much of its vocabulary the
rest of the article shares: an article's own lines share names and content words with
their neighbours, debris from another story does not.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter

from unspin.function_words import FUNCTION_WORDS
from unspin.native import compiled
from unspin.report import Stray

_LINE = re.compile(r"[^\n]+")
_WORD = re.compile(r"[^\W\d_]{3,}")
_ASCII_WORD = re.compile(r"[a-z]{3,}")  # _WORD on lowercased ASCII text, twice as fast
_AD_MARKER = re.compile(
    r"^\s*(?:\[\s*ad[_ ]?\d*\s*\]|advertisement|sponsored( content)?|ad)\s*$", re.IGNORECASE
)
# Promos: a line that starts with a promo label, or that names a call to action anywhere.
_PROMO_LABELS = (
    "watch", "read more", "read also", "also read", "related", "recommended", "more",
    "see also", "listen", "video", "photos", "trending", "must read", "don't miss",
    "breaking", "update", "sponsored",
)  # fmt: skip
_PROMO_HEAD = re.compile(
    r"\s*(?:" + "|".join(map(re.escape, _PROMO_LABELS)) + r")\s*[:|>-]", re.IGNORECASE
)
_PROMO_PHRASES = (
    "click here", "sign up", "subscribe to", "subscribe for", "subscribe now", "follow us",
    "download our app", "download the app", "share this", "newsletter",
    "all rights reserved", "cookie",
)  # fmt: skip
_PROMO_ANYWHERE = re.compile(
    r"\b(?:" + "|".join(map(re.escape, _PROMO_PHRASES)) + r")\b", re.IGNORECASE
)
# A lowercased ASCII line that _PROMO_ANYWHERE matches holds one of the phrases as it is.
_PROMO_HINT = re.compile("|".join(map(re.escape, _PROMO_PHRASES)))
_SHARE_WORDS = frozenset(
    {
        "facebook", "twitter", "whatsapp", "email", "linkedin", "pinterest", "reddit",
        "telegram", "share", "tweet", "print", "copy", "link", "messenger",
    }
)  # fmt: skip
_SHARE_NEEDLES = tuple(sorted(_SHARE_WORDS))
_SHARE_HINT = re.compile("|".join(_SHARE_NEEDLES))
_NAV_SEPARATORS = ("|", "\u2022", "\u00b7")
_SPINTAX = re.compile(r"\{[^{}\n]*\|[^{}\n]*\}")
_END_STOPS = ".!?:;"
_END_CLOSERS = "\"'\u2019\u201d)]"
_NUMBERISH = re.compile(r"\d")


def _content_words(text: str) -> set[str]:
    return {w for w in (m.lower() for m in _WORD.findall(text)) if w not in FUNCTION_WORDS}


def _norm_line(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _title_like(line: str) -> bool:
    """Short, no final punctuation, mostly capitalised words (or all caps)."""
    words = line.split()
    if not 2 <= len(words) <= 20 or _ends_with_stop(line):
        return False
    alpha = [w for w in words if w[:1].isalpha()]
    if not alpha:
        return False
    caps = sum(w[0].isupper() for w in alpha)
    return line.isupper() or caps / len(alpha) >= 0.5 or len(words) <= 12


# How much of a line's content vocabulary the rest of the article must share for a
# short standalone line without final punctuation to count as the article's own. Set on
# the stray benchmark's calibration half (bench/stray_bench.py --grid).
MIN_OVERLAP = 0.1


def _line_words(line: str) -> tuple[set[str], str]:
    """:func:`_content_words` and :func:`_norm_line` of one line, with one regex pass
    when the line is ASCII (lowercasing first then finds the same words)."""
    if line.isascii():
        words = _ASCII_WORD.findall(line.lower())
        return set(words).difference(FUNCTION_WORDS), " ".join(words)
    return _content_words(line), _norm_line(line)


def find_strays(text: str, title: str | None = None) -> list[Stray]:
    """Lines of ``text`` that are not part of the article, in order."""
    if _find_strays_c is None:
        return _find_strays_py(text, title)
    plain = text if text.isascii() else _ascii_stand_in(text)
    if plain is None:
        return _find_strays_py(text, title)
    found = _find_strays_c(
        plain,
        _norm_line(title) if title else None,
        _content_words(title) if title else None,
        FUNCTION_WORDS,
        _SHARE_NEEDLES,
        _PROMO_LABELS,
        _PROMO_PHRASES,
        MIN_OVERLAP,
    )
    out = [Stray(a, b, text[a:b], reason) for a, b, reason in found]
    out.sort(key=lambda x: x.start)
    return out


def _find_strays_py(text: str, title: str | None = None) -> list[Stray]:
    """:func:`find_strays` in Python: the reference for ``unspin._strays.find_strays``
    (ASCII text), and the version that runs on other text."""
    lines = [(m.start(), m.end(), m.group()) for m in _LINE.finditer(text) if m.group().strip()]
    if len(lines) < 2:
        return _spintax(text)
    out: list[Stray] = []
    # Each line's content words and normalised form, computed when a test needs them
    # (most lines are settled by cheaper tests).
    line_words: list[tuple[set[str], str] | None] = [None] * len(lines)

    def words_of(i: int) -> tuple[set[str], str]:
        w = line_words[i]
        if w is None:
            w = line_words[i] = _line_words(lines[i][2])  # same words as the stripped line
        return w

    title_key = _norm_line(title) if title else None
    title_words = _content_words(title) if title else None
    first_key = words_of(0)[1]
    first_is_title = _title_like(lines[0][2].strip())
    # A later line that repeats one of these is a repeated headline. A line can only
    # equal one if it contains each of its words: its longest is checked first (on ASCII
    # lines, where lowercasing keeps the words).
    headlines = [k for k in (title_key, first_key if first_is_title else None) if k]
    heads = [max(k.split(" "), key=len) for k in headlines]

    head_lines: dict[int, int] | None = None  # on ASCII text: lines holding one of heads

    def repeats_headline(i: int, line: str) -> bool:
        if not headlines:
            return False
        if head_lines is not None:
            if i not in head_lines:
                return False
        elif line.isascii():
            low = line.lower()
            if not any(h in low for h in heads):
                return False
        return words_of(i)[1] in headlines

    # In how many lines each content word occurs: a line's word is shared with the rest
    # of the article when it occurs in another line too.
    lines_with: Counter[str] = Counter()
    counted = False
    low = text.lower() if text.isascii() else None

    def shared(i: int) -> float:
        """The share of line ``i``'s content words that another line has too."""
        nonlocal counted
        vocab = words_of(i)[0]
        if not vocab:
            return 0.0
        if low is not None:  # on ASCII text, look for each word outside the line
            s, e, _ = lines[i]
            return sum(_word_outside(low, w, s, e) for w in vocab) / len(vocab)
        if not counted:
            for k in range(len(lines)):
                lines_with.update(words_of(k)[0])
            counted = True
        return sum(lines_with[w] > 1 for w in vocab) / len(vocab)

    # On ASCII text, substring searches over the whole text find the lines that name a
    # share button or a call to action, or hold a headline's longest word (None: test
    # each line).
    share_lines: dict[int, int] | None = None  # hits per line
    promo_lines: dict[int, int] | None = None
    if low is not None:
        line_starts = [s for s, _, _ in lines]
        head_lines = _hits_per_line(low, line_starts, tuple(heads))
        share_lines = _hits_per_line(low, line_starts, _SHARE_NEEDLES)
        promo_lines = _hits_per_line(low, line_starts, _PROMO_PHRASES)

    for i, (s, _, line) in enumerate(lines):
        stripped = line.strip()
        lead = len(line) - len(line.lstrip())
        s2, e2 = s + lead, s + lead + len(stripped)
        reason: str | None = None
        if _AD_MARKER.match(stripped):
            reason = "ad-marker"
        elif _share_bar(stripped, None if share_lines is None else share_lines.get(i, 0)):
            reason = "share-bar"
        elif _navigation(stripped):
            reason = "navigation"
        elif i > 0 and repeats_headline(i, stripped):
            reason = "repeated-headline"
        elif (
            _promo(stripped, None if promo_lines is None else i in promo_lines)
            and len(stripped.split()) <= 30
        ):
            reason = "promo"
        elif i == 0 and first_is_title and first_key != title_key:
            if not stripped.lower().startswith("by ") and _foreign_headline(
                words_of(0)[0], title_words, shared(i)
            ):
                reason = "glued-headline"
        elif i > 0 and not _ends_with_stop(stripped):
            words = stripped.split()
            if (
                len(words) <= 25
                and not _numeric(words)
                and _is_standalone(lines, i, text)
                and shared(i) < MIN_OVERLAP
            ):
                reason = "promo"
        if reason:
            out.append(Stray(s2, e2, text[s2:e2], reason))
    covered = [(x.start, x.end) for x in out]
    out.extend(x for x in _spintax(text) if not any(a <= x.start < b for a, b in covered))
    out.sort(key=lambda x: x.start)
    return out


def _ends_with_stop(line: str) -> bool:
    """A final stop, possibly followed by closing quotes or brackets and spaces."""
    end = line.rstrip().rstrip(_END_CLOSERS)
    return end[-1:] in _END_STOPS and bool(end)


def _word_outside(low: str, word: str, start: int, end: int) -> bool:
    """Whether the lowercased ASCII text ``low`` holds ``word`` (ASCII letters) as a
    whole word (a maximal run of letters, as :data:`_ASCII_WORD` finds words) outside
    ``[start, end)``: a few substring searches instead of listing every word of the
    text."""
    n = len(word)
    at = low.find(word)
    while at >= 0:
        if (
            (at < start or at >= end)
            and (at == 0 or not ("a" <= low[at - 1] <= "z"))
            and not ("a" <= low[at + n : at + n + 1] <= "z")
        ):
            return True
        at = low.find(word, at + 1)
    return False


def _hits_per_line(low: str, line_starts: list[int], hints: tuple[str, ...]) -> dict[int, int]:
    """How often the lines (by their start offsets) of the lowercased ASCII text ``low``
    contain one of ``hints`` (none holds a line break); lines without one are not keys.
    A substring search per hint over the whole text is much cheaper than a regex
    alternation per line."""
    lines: Counter[int] = Counter()
    for h in hints:
        at = low.find(h)
        while at >= 0:
            lines[bisect_right(line_starts, at) - 1] += 1
            at = low.find(h, at + 1)
    return dict(lines)


# Every test of _find_strays_py in C, for ASCII text, when it was built.
_find_strays_c = compiled("_strays", "find_strays")

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_STAND_INS: dict[str, str | None] = {}  # a non-ASCII character's ASCII stand-in, or None


def _stand_in(c: str) -> str | None:
    """An ASCII character that every test of :func:`_find_strays_py` treats as it treats
    the non-ASCII ``c``, or None. A closing quote's only part is to close (")" has no
    other); a character that is no letter, digit or space, has no case and is no
    separator or closer (a currency sign, a dash, an opening quote) is anywhere what
    "$" is. Letters, spaces and separators have no stand-in."""
    if c in _END_CLOSERS:
        return ")"
    if c.isalnum() or c.isspace() or c.lower() != c or c.upper() != c or c in _NAV_SEPARATORS:
        return None
    return "$"


def _ascii_stand_in(text: str) -> str | None:
    """``text`` with each non-ASCII character replaced by its :func:`_stand_in` (the same
    strays, found by the C search; news text is non-ASCII mostly by currency signs,
    quotes and dashes), or None when one has none. A replace per distinct character:
    str.translate goes through a dict for every character of a non-ASCII text."""
    m = _NON_ASCII.search(text)
    while m is not None:
        c = m.group()
        if c not in _STAND_INS:
            _STAND_INS[c] = _stand_in(c)
        r = _STAND_INS[c]
        if r is None:
            return None
        text = text.replace(c, r)
        m = _NON_ASCII.search(text, m.start())
    return text


def _promo(line: str, hinted: bool | None = None) -> bool:
    """A promo label or a call to action. ``hinted``: whether the lowercased line holds
    one of :data:`_PROMO_PHRASES`, when already known."""
    if _PROMO_HEAD.match(line):
        return True
    if line.isascii():  # cheap: most lines hold no call to action
        if hinted is None:
            hinted = bool(_PROMO_HINT.search(line.lower()))
        if not hinted:
            return False
    return bool(_PROMO_ANYWHERE.search(line))


def _share_bar(line: str, hits: int | None = None) -> bool:
    """Mostly share buttons: "Share | Facebook | Twitter | Email". ``hits``: how often
    the lowercased line holds one of :data:`_SHARE_WORDS`, when already known (a share
    bar names two buttons at least, each one a hit)."""
    if hits is None:
        hits = 2 if _SHARE_HINT.search(line.lower()) else 0
    if hits < 2:  # cheap: most lines name no share button, or one ("shares rose")
        return False
    words = line.split()
    lower_words = [w.strip(".,:;|!?").lower() for w in words]
    return sum(w in _SHARE_WORDS for w in lower_words) >= max(2, len(words) // 2)


def _navigation(line: str) -> bool:
    """A row of short menu items: "Home | News | Sport" or bullets."""
    for sep in _NAV_SEPARATORS:
        if sep not in line:
            continue
        items = [x.strip() for x in line.split(sep)]
        if len(items) >= 3 and "{" not in line and all(len(x.split()) <= 4 for x in items):
            return True
    return False


def _numeric(words: list[str]) -> bool:
    """Table rows and figures ("Revs 298.2 mln vs 321.3 mln") are article content."""
    return sum(bool(_NUMBERISH.search(w)) for w in words) * 4 >= len(words)


def _foreign_headline(words: set[str], title_words: set[str] | None, body: float) -> bool:
    """A title-like first line about another story: it shares little with the page's own
    title when that is known, and little (``body``) with the rest of the text."""
    if title_words is not None:
        in_title = len(words & title_words) / len(words) if words else 0.0
        return in_title < 0.34 and body < 0.75
    return body < 0.5


def _is_standalone(lines: list[tuple[int, int, str]], i: int, text: str) -> bool:
    """A line set apart as its own paragraph (blank lines or text edges around it)."""
    s, e, _ = lines[i]
    before = text[lines[i - 1][1] : s] if i > 0 else "\n\n"
    after = text[e : lines[i + 1][0]] if i + 1 < len(lines) else "\n\n"
    return before.count("\n") >= 2 or after.count("\n") >= 2 or i + 1 == len(lines)


def _spintax(text: str) -> list[Stray]:
    return [Stray(m.start(), m.end(), m.group(), "spintax") for m in _SPINTAX.finditer(text)]


def remove_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without the given spans, each taking one adjacent line break with it."""
    out = []
    last = 0
    for s, e in sorted(spans):
        if s < last:
            continue
        out.append(text[last:s])
        last = e
        if text[last : last + 1] == "\n":
            last += 1
    out.append(text[last:])
    return "".join(out)
