"""Bench-only synthetic article spinner: synonym/phrase swaps, clause swaps, sentence drops and a
glued foreign headline, with ground-truth `Change` spans indexing the final text. Nothing under
src/ may import this. Usage: python bench/spinner.py [--rate 0.3] [--n 3] [--seed 0]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MYTHES = SHARED / "spinner-dicts" / "mythes_en_us.jsonl.gz"
ARTICLES = SHARED / "news" / "articles.jsonl.gz"

_FUNCTION_WORDS_TEXT = """
    a an the about above across after against along among around at before behind below beneath
    beside besides between beyond by down during except for from in inside into like near of off on
    onto out outside over past per since through throughout till to toward towards under underneath
    until up upon via with within without i me my mine myself you your yours yourself yourselves he
    him his himself she her hers herself it its itself we us our ours ourselves they them their
    theirs themselves this that these those who whom whose which what whatever whoever whichever
    one ones someone anyone everyone nobody something anything everything nothing each either
    neither both all any some none such other another and but or nor so yet because although though
    while whereas if unless whether than as when where why how then once be am is are was were been
    being have has had having do does did done doing will would shall should can could may might
    must ought not no yes also very too just only even still already again ever never always often
    here there now quite rather almost more most less least much many few own same well however
    thus therefore perhaps indeed else instead
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())
# crude irregular inflections: "base+suffix:form"
_IRREGULAR_TEXT = """
    have+s:has have+ed:had be+s:is be+ed:was do+s:does do+ed:did go+ed:went make+ed:made get+ed:got
    take+ed:took give+ed:gave come+ed:came see+ed:saw run+ed:ran keep+ed:kept hold+ed:held
    bring+ed:brought buy+ed:bought sell+ed:sold tell+ed:told find+ed:found think+ed:thought
    pay+ed:paid say+ed:said win+ed:won lose+ed:lost leave+ed:left meet+ed:met send+ed:sent
    spend+ed:spent build+ed:built lead+ed:led rise+ed:rose fall+ed:fell grow+ed:grew know+ed:knew
    begin+ed:began
"""
_IRREGULAR = {k: v for k, _, v in (x.partition(":") for x in _IRREGULAR_TEXT.split())}
_UNIRREGULAR = {v: tuple(k.split("+")) for k, v in _IRREGULAR.items() if v not in FUNCTION_WORDS}
_PARTICLES = {"up", "out", "off", "down", "in", "on", "over", "away", "back", "through", "along"}

_TOKEN = re.compile(r"\w+(?:['’-]\w+)*|\s+|[^\w\s]")
_ALPHA = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_SYN_OK = re.compile(r"[A-Za-z]+(?:[ -][A-Za-z]+)*")
_SENT_END = re.compile(r"[.!?][\"'”’)]*(\s+)(?=[\"'“‘(]?[A-Z0-9])")
_CVC = re.compile(r"[^aeiou][aeiouy][^aeiouwxy]$")
_CONS_Y = re.compile(r"[^aeiou]y$")
_NOUNISH = re.compile(r"(?:tion|sion|ment|ness|ence|ance|ity|ship|th|ism|ist|hood|dom)$")
_ENDINGS = (("ies", "s"), ("s", "s"), ("es", "s"), ("ied", "ed"), ("ed", "ed"), ("ing", "ing"))


class Thesaurus(dict[str, list[str]]):
    """Lowercased headword (possibly multiword, e.g. "take part") -> filtered synonyms."""

    def lookup(self, word: str) -> tuple[str, str] | None:
        """(headword, stripped inflection suffix '', 's', 'ed' or 'ing') for `word`, if any."""
        w = word.lower()
        if w in _UNIRREGULAR and _UNIRREGULAR[w][0] in self:  # rose -> rise+ed
            return _UNIRREGULAR[w][0], _UNIRREGULAR[w][1]
        if w in self:
            return w, ""
        for ending, suffix in _ENDINGS:
            if not w.endswith(ending) or len(w) - len(ending) < 3:
                continue
            stem = w[: -len(ending)]
            stems = [stem + "y"] if ending in ("ies", "ied") else [stem]
            if ending in ("ed", "ing"):  # rated -> rate, jumped -> jump, planned -> plan
                stems = [stem + "e", stem] if _CVC.search(stem) else [stem, stem + "e"]
                stems += [stem[:-1]] if stem[-1] == stem[-2] else []
            for s in stems:
                if s in self:
                    return s, suffix
        return None


def load_thesaurus(path: Path | None = None, *, max_syn: int = 8) -> Thesaurus:
    """Read a `{"word", "synonyms"}` JSONL(.gz) file (default: the MyThes en_US dump)."""
    path = path or MYTHES
    opener: Any = gzip.open if path.suffix == ".gz" else open
    th = Thesaurus()
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            head = " ".join(str(rec["word"]).lower().split())
            syns = th.setdefault(head, [])
            seen = {head, *(s.lower() for s in syns)}
            for raw in rec.get("synonyms", []):
                syn = " ".join(str(raw).split())
                if len(syns) < max_syn and _SYN_OK.fullmatch(syn) and syn.lower() not in seen:
                    seen.add(syn.lower())
                    syns.append(syn)
    return Thesaurus({k: v for k, v in th.items() if v})


def load_articles(path: Path | None = None) -> list[dict[str, Any]]:
    with gzip.open(path or ARTICLES, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@dataclass(frozen=True)
class Change:
    start: int  # char offset in Spun.text
    end: int
    text: str  # Spun.text[start:end]
    original: str  # the original wording this span replaced


@dataclass
class Spun:
    text: str
    changes: list[Change]  # sorted by start
    rate: float  # requested rate
    achieved: float  # replaced content words / content words
    headline: str | None  # glued headline text, if any
    dropped: list[str]  # original sentences dropped
    reordered: int  # number of sentences whose clauses were swapped
    # Each substitution on its own (``changes`` merges those separated only by spaces:
    # "captivating product" for "enchanting book" is one change, two substitutions).
    substitutions: list[Change] = field(default_factory=list)


@dataclass
class _Piece:
    text: str
    original: str | None = None  # None: not substituted (a clause swap may still re-case it)


@dataclass
class _Sent:
    tokens: list[str]
    words: list[int]  # token indices of word tokens
    subs: dict[int, tuple[int, str]] = field(default_factory=dict)  # tok -> (end tok, new)
    used: set[int] = field(default_factory=set)

    def pieces(self) -> list[_Piece]:
        out: list[_Piece] = []
        i = 0
        while i < len(self.tokens):
            end, new = self.subs.get(i, (i + 1, self.tokens[i]))
            out.append(_Piece(new, "".join(self.tokens[i:end]) if i in self.subs else None))
            i = end
        return out


def _split_sentences(para: str) -> tuple[str, list[str], list[str], str]:
    """(leading ws, sentences, separators between them, trailing ws)."""
    body = para.strip()
    if not body:
        return para, [], [], ""
    sents, seps, prev = [], [], 0
    for m in _SENT_END.finditer(body):
        sents.append(body[prev : m.start(1)])
        seps.append(m.group(1))
        prev = m.end(1)
    sents.append(body[prev:])
    return para[: para.index(body[0])], sents, seps, para[len(para.rstrip()) :]


def _inflect(syn: str, suffix: str) -> str | None:
    """Crudely re-add a suffix: -s to single words only, -ed/-ing to (phrasal) verbs."""
    words = syn.split(" ")
    if suffix and len(words) > 1 and (suffix == "s" or words[1] not in _PARTICLES):
        return None
    w = words[0]
    if not suffix or (suffix == "s" and re.search(r"[^siu]s$", w)):  # receipts stays receipts
        return syn
    if not w.islower() or (suffix != "s" and _NOUNISH.search(w)):  # no "MBDing", "growthed"
        return None
    if f"{w}+{suffix}" in _IRREGULAR:
        w = _IRREGULAR[f"{w}+{suffix}"]
    elif suffix == "s":
        sibilant = w.endswith(("s", "x", "z", "ch", "sh"))
        w = w[:-1] + "ies" if _CONS_Y.search(w) else w + ("es" if sibilant else "s")
    elif suffix == "ed":
        w = w + "d" if w.endswith("e") else w[:-1] + "ied" if _CONS_Y.search(w) else w + "ed"
    else:
        w = w[:-1] + "ing" if w.endswith("e") and not w.endswith(("ee", "ye", "oe")) else w + "ing"
    return " ".join([w, *words[1:]])


def _same_stem(x: str, y: str) -> bool:
    """True for equal words and crude inflectional variants (rate/rates, early/earlier)."""
    x, y, n = x.lower(), y.lower(), min(len(x), len(y))
    p = next((i for i, (c, d) in enumerate(zip(x, y, strict=False)) if c != d), n)
    return x == y or (p >= 3 and p >= n - 1)


def _clause_words(pieces: list[_Piece]) -> int:
    """Word count of a clause, or 0 if its quotes/brackets are unbalanced."""
    s = "".join(p.text for p in pieces)
    ok = s.count('"') % 2 == 0 and s.count("“") == s.count("”") and s.count("(") == s.count(")")
    return len(re.findall(r"\w+", s)) if ok else 0


class Spinner:
    def __init__(self, thesaurus: Thesaurus, seed: int = 0) -> None:
        self.th = thesaurus
        self.seed = seed
        self._lexcache: dict[str, tuple[str, str] | None] = {}

    def _lex(self, tok: str) -> tuple[str, str] | None:
        """(headword, suffix) if `tok` is a replaceable content word, else None."""
        if tok not in self._lexcache:
            ok = tok.islower() and _ALPHA.fullmatch(tok) and tok not in FUNCTION_WORDS
            self._lexcache[tok] = self.th.lookup(tok) if ok else None
        return self._lexcache[tok]

    def spin(self, text: str, rate: float, *, phrase_share: float = 0.3, reorder: float = 0.0,
             drop: float = 0.0, headline: str | None = None) -> Spun:  # fmt: skip
        key = f"{self.seed}|{rate}|{phrase_share}|{reorder}|{drop}|{headline}|{text}"
        rng = random.Random(key)  # deterministic per (seed, params, input), not per call order
        paras = [_split_sentences(p) for p in text.split("\n\n")]
        ids = [(pi, si) for pi, p in enumerate(paras) for si in range(len(p[1]))]
        gone = set(rng.sample(ids, min(round(drop * len(ids)), max(len(ids) - 1, 0))))
        sents: dict[tuple[int, int], _Sent] = {}
        for pi, si in (k for k in ids if k not in gone):
            toks = _TOKEN.findall(paras[pi][1][si])
            sents[pi, si] = _Sent(toks, [i for i, t in enumerate(toks) if t[0].isalnum()])
        lex = self._lex
        cands = [(s, w) for s in sents.values() for w, t in enumerate(s.words) if lex(s.tokens[t])]
        target, done = round(rate * len(cands)), 0
        rng.shuffle(cands)
        for s, wp in cands:
            if done >= target:
                break
            if s.words[wp] not in s.used:
                done += self._substitute(s, wp, rng.random() < phrase_share, target - done, rng)

        swappable = [k for k, s in sents.items() if self._split_point(s.pieces()) is not None]
        to_swap = set(rng.sample(swappable, round(reorder * len(swappable))))
        body = [_Piece(headline + "\n")] if headline is not None else []
        started = False
        for pi, (lead, raw, seps, trail) in enumerate(paras):
            kept = [si for si in range(len(raw)) if (pi, si) not in gone]
            if raw and not kept:
                continue
            body.extend([_Piece("\n\n"), _Piece(lead)] if started else [_Piece(lead)])
            started = True
            for j, si in enumerate(kept):
                pieces = sents[pi, si].pieces()
                body.extend(self._swap(pieces, text) if (pi, si) in to_swap else pieces)
                body.append(_Piece(seps[si] if j < len(kept) - 1 else trail))
        out, changes = self._assemble(body)
        subs, at = [], 0
        for p in body:
            if p.original is not None:
                subs.append(Change(at, at + len(p.text), p.text, p.original))
            at += len(p.text)
        dropped = [paras[pi][1][si] for pi, si in ids if (pi, si) in gone]
        achieved = done / len(cands) if cands else 0.0
        return Spun(out, changes, rate, achieved, headline, dropped, len(to_swap), subs)

    def _substitute(self, s: _Sent, wp: int, phrase: bool, budget: int, rng: random.Random) -> int:
        """Replace a span around word position `wp`; return the number of content words replaced."""
        options: list[tuple[int, int, list[str], str]] = []  # (first wp, end wp, synonyms, suffix)
        for n in (3, 2) if phrase else ():  # multiword headwords covering wp, e.g. "take part"
            for a in range(max(0, wp - n + 1), min(wp, len(s.words) - n) + 1):
                ts = s.words[a : a + n]
                head = " ".join(s.tokens[t] for t in ts)
                plain = all(t not in s.used and _ALPHA.fullmatch(s.tokens[t]) for t in ts)
                spaced = all(s.tokens[t + 1 : u] == [" "] for t, u in pairwise(ts))
                if plain and spaced and head.islower() and head in self.th:
                    options.append((a, a + n, self.th[head], ""))
        rng.shuffle(options)
        hit = self._lex(s.tokens[s.words[wp]])
        assert hit is not None
        options.append((wp, wp + 1, self.th[hit[0]], hit[1]))
        for a, b, syns, suffix in options:
            multi, single = [x for x in syns if " " in x], [x for x in syns if " " not in x]
            for pool in (multi, single) if phrase else (single, multi):
                for syn in rng.sample(pool, len(pool)):
                    new = _inflect(syn, suffix)
                    got = self._apply(s, a, b, new, budget) if new else 0
                    if got:
                        return got
        return 0

    def _apply(self, s: _Sent, a: int, b: int, new: str, budget: int) -> int:
        old_w, new_w = [s.tokens[s.words[k]] for k in range(a, b)], new.split(" ")
        while len(old_w) > 1 and len(new_w) > 1 and old_w[0].lower() == new_w[0].lower():
            old_w, new_w, a = old_w[1:], new_w[1:], a + 1
        while len(old_w) > 1 and len(new_w) > 1 and old_w[-1].lower() == new_w[-1].lower():
            old_w, new_w, b = old_w[:-1], new_w[:-1], b - 1
        if _same_stem(old_w[0], new_w[0]) or old_w[-1].lower() == new_w[-1].lower():
            return 0  # equal, a mere inflection change, or a pure insertion/deletion
        got = sum(1 for w in old_w if self._lex(w))
        if not 0 < got <= budget:
            return 0
        s.subs[s.words[a]] = (s.words[b - 1] + 1, " ".join(new_w))
        s.used.update(s.words[a:b])
        return got

    @staticmethod
    def _split_point(pieces: list[_Piece]) -> int | None:
        """Index of the ", " comma best splitting the sentence into two >=4-word clauses."""
        best: tuple[int, int] | None = None
        for i in range(1, len(pieces) - 2) if pieces[0].text[:1].isalpha() else ():
            a, b = pieces[:i], pieces[i + 2 :]
            if pieces[i].text != "," or pieces[i + 1].text != " " or not b[0].text[:1].isalpha():
                continue
            na, nb = _clause_words(a), _clause_words(b)
            if na >= 4 and nb >= 4 and (best is None or abs(na - nb) < best[0]):
                best = (abs(na - nb), i)
        return None if best is None else best[1]

    def _swap(self, pieces: list[_Piece], text: str) -> list[_Piece]:
        """'A, B.' -> 'B, a.' keeping the final punctuation at the end."""
        i = self._split_point(pieces)
        assert i is not None
        a, b, tail = pieces[:i], pieces[i + 2 :], list[_Piece]()
        while b[-1].original is None and not b[-1].text[:1].isalnum():
            tail.insert(0, b.pop())
        b[0] = _Piece(b[0].text[:1].upper() + b[0].text[1:], b[0].original)
        first, low = a[0].text, a[0].text.lower()
        next_cap = len(a) > 2 and a[2].text[:1].isupper()  # "Time Warner said ..."
        mid_cap = re.search(rf"[a-z,;] {re.escape(first)}\b", text) is not None
        if low in FUNCTION_WORDS or not (next_cap or mid_cap or first == "I" or low not in self.th):
            a[0] = _Piece(first[:1].lower() + first[1:], a[0].original)
        return [*b, _Piece(","), _Piece(" "), *a, *tail]

    @staticmethod
    def _assemble(pieces: list[_Piece]) -> tuple[str, list[Change]]:
        """Concatenate pieces; merge replaced pieces separated only by spaces into one Change."""
        text, starts = "".join(p.text for p in pieces), [0]
        for p in pieces:
            starts.append(starts[-1] + len(p.text))
        runs: list[tuple[int, int]] = []  # (first, last) replaced piece index of each run
        joinable = False  # only same-line whitespace since the last replaced piece
        for k, p in enumerate(pieces):
            if p.original is not None:
                if joinable:
                    runs[-1] = (runs[-1][0], k)
                else:
                    runs.append((k, k))
                joinable = True
            elif not (p.text.isspace() and "\n" not in p.text):
                joinable = False
        changes: list[Change] = []
        for a, b in runs:
            old = "".join(p.text if p.original is None else p.original for p in pieces[a : b + 1])
            changes.append(Change(starts[a], starts[b + 1], text[starts[a] : starts[b + 1]], old))
        return text, changes


def main() -> None:
    ap = argparse.ArgumentParser(description="Print a few spun articles with their changes.")
    for name, default in (("rate", 0.3), ("n", 3), ("seed", 0), ("reorder", 0.3), ("drop", 0.1)):
        ap.add_argument(f"--{name}", type=type(default), default=default)
    args = ap.parse_args()
    spinner, arts = Spinner(load_thesaurus(), seed=args.seed), load_articles()
    for k, art in enumerate(arts[: args.n]):
        other = arts[(k + len(arts) // 2) % len(arts)]["title"]
        sp = spinner.spin(art["text"], args.rate, reorder=args.reorder, drop=args.drop,
                          headline=other)  # fmt: skip
        print(
            f"=== {art['id']} rate={sp.rate} achieved={sp.achieved:.3f} "
            f"reordered={sp.reordered} dropped={len(sp.dropped)} changes={len(sp.changes)}"
        )
        print(sp.text, "\n--- changes:")
        for c in sp.changes:
            assert sp.text[c.start : c.end] == c.text
            print(f"  [{c.start}:{c.end}] {c.original!r} -> {c.text!r}")
        print()


if __name__ == "__main__":
    main()
